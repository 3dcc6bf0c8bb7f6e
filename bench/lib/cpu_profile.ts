/**
 * A sampled V8 CPU profile of the local runtime's user workerd, taken over the Chrome DevTools
 * protocol on workerd's own inspector socket. `wrangler dev` starts the user workerd with
 * `--inspector-addr=127.0.0.1:0` and proxies it; its proxy does not forward `Profiler.*`, so this
 * talks to workerd directly: the listening ports of that process (from /proc) answer `/json/list`
 * with one target per isolate (the Worker with its Durable Objects is one isolate).
 */
import {
  copyFileSync,
  existsSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { SourceMap } from "node:module";
import { join, relative } from "node:path";

/** A CDP target of workerd's inspector. */
export interface InspectorTarget {
  id: string;
  title: string;
  webSocketDebuggerUrl: string;
}

/** A V8 CPU profile (`Profiler.Profile`, the `.cpuprofile` format). */
export interface CpuProfile {
  nodes: Array<{
    id: number;
    callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
    hitCount?: number;
    children?: number[];
  }>;
  startTime: number;
  endTime: number;
  samples?: number[];
  timeDeltas?: number[];
}

function children(pid: number): number[] {
  const out: number[] = [];
  for (const d of readdirSync("/proc")) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const s = readFileSync(`/proc/${d}/stat`, "utf8");
      const ppid = Number(s.slice(s.lastIndexOf(")") + 2).split(" ")[1]);
      if (ppid === pid) out.push(Number(d));
    } catch { /* gone */ }
  }
  return out;
}

/** Process ids in the trees of `roots` whose command line matches `pattern`. */
export function findProcesses(roots: readonly number[], pattern: RegExp): number[] {
  const found: number[] = [];
  const queue = [...roots];
  while (queue.length) {
    const pid = queue.shift()!;
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, "utf8").replaceAll("\0", " ");
      if (pattern.test(cmd)) found.push(pid);
    } catch { /* gone */ }
    queue.push(...children(pid));
  }
  return found;
}

/** TCP ports `pid` listens on (IPv4 loopback or any). */
export function listeningPorts(pid: number): number[] {
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m) inodes.add(m[1]!);
    } catch { /* closed meanwhile */ }
  }
  const ports: number[] = [];
  for (const line of readFileSync(`/proc/${pid}/net/tcp`, "utf8").split("\n").slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 10 || f[3] !== "0A" || !inodes.has(f[9]!)) continue; // 0A = LISTEN
    ports.push(parseInt(f[1]!.split(":")[1]!, 16));
  }
  return ports;
}

/**
 * The inspector targets that Miniflare's inspector proxy serves on wrangler's `--inspector-port`
 * (found in the command line of the `wrangler dev` under `roots`): one per user Worker.
 */
export async function findInspectorTargets(roots: readonly number[]): Promise<InspectorTarget[]> {
  for (const pid of findProcesses(roots, /wrangler.* dev .*--inspector-port/)) {
    const cmd = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
    const port = cmd[cmd.indexOf("--inspector-port") + 1];
    const r = await fetch(`http://127.0.0.1:${port}/json/list`, { signal: AbortSignal.timeout(5_000) });
    if (r.ok) return await r.json() as InspectorTarget[];
  }
  return [];
}

/** A minimal CDP session over one WebSocket. */
export class CdpSession {
  #ws: WebSocket;
  #next = 1;
  #pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();

  private constructor(ws: WebSocket) {
    this.#ws = ws;
    ws.addEventListener("message", (ev) => {
      const msg = JSON.parse(String(ev.data)) as {
        id?: number;
        result?: unknown;
        error?: { message: string };
      };
      const p = msg.id === undefined ? undefined : this.#pending.get(msg.id);
      if (!p) return;
      this.#pending.delete(msg.id!);
      if (msg.error) p.reject(new Error(msg.error.message));
      else p.resolve(msg.result);
    });
  }

  /** Opens a session on a target's `webSocketDebuggerUrl`. */
  static async open(url: string): Promise<CdpSession> {
    // Miniflare's proxy refuses an upgrade with a User-Agent and no allowed Origin.
    const init = { headers: { origin: "http://127.0.0.1" } };
    const ws = new WebSocket(url, init as unknown as string[]);
    await new Promise<void>((resolve, reject) => {
      ws.addEventListener("open", () => resolve(), { once: true });
      ws.addEventListener("error", () => reject(new Error(`cannot open ${url}`)), { once: true });
    });
    return new CdpSession(ws);
  }

  /** Sends one command and resolves to its result. */
  send<T = unknown>(method: string, params: Record<string, unknown> = {}): Promise<T> {
    const id = this.#next++;
    this.#ws.send(JSON.stringify({ id, method, params }));
    return new Promise<T>((resolve, reject) => {
      this.#pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
    });
  }

  close(): void {
    this.#ws.close();
  }
}

/** A running profile: stop() resolves to the profile. */
export interface Profiling {
  target: InspectorTarget;
  stop(): Promise<CpuProfile>;
}

/**
 * Copies wrangler's current bundle source map (`.wrangler/tmp/dev-*\/main.js.map` under `root`)
 * to `dest` while `wrangler dev` runs (it deletes the bundle when it stops); false when none. The
 * newest one: a killed run leaves its directory behind, and an older bundle maps to wrong lines.
 */
export function keepBundleSourceMap(root: string, dest: string): boolean {
  const tmp = join(root, ".wrangler", "tmp");
  if (!existsSync(tmp)) return false;
  const maps = readdirSync(tmp).filter((d) => d.startsWith("dev-")).map((d) => join(tmp, d, "main.js.map"))
    .filter((map) => existsSync(map)).sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs);
  if (!maps.length) return false;
  copyFileSync(maps[0]!, dest);
  return true;
}

/** Rewrites the bundle's call frames (`main.js`) to their original files and lines in place. */
export function symbolizeProfile(profile: CpuProfile, sourceMapFile: string): void {
  const map = new SourceMap(JSON.parse(readFileSync(sourceMapFile, "utf8")));
  for (const node of profile.nodes) {
    const f = node.callFrame;
    if (f.url !== "main.js" || f.lineNumber < 0) continue;
    const e = map.findEntry(f.lineNumber, f.columnNumber) as {
      originalSource?: string;
      originalLine?: number;
      originalColumn?: number;
    };
    if (!e.originalSource) continue;
    f.url = e.originalSource;
    f.lineNumber = e.originalLine ?? 0;
    f.columnNumber = e.originalColumn ?? 0;
  }
}

/** Starts sampling the first target (the Worker's isolate) every `intervalUs` microseconds. */
export async function startCpuProfile(roots: readonly number[], intervalUs = 1_000): Promise<Profiling> {
  const targets = await findInspectorTargets(roots);
  if (!targets.length) throw new Error("no workerd inspector target found");
  const target = targets[0]!;
  const session = await CdpSession.open(target.webSocketDebuggerUrl);
  await session.send("Profiler.enable");
  await session.send("Profiler.setSamplingInterval", { interval: intervalUs });
  await session.send("Profiler.start");
  return {
    target,
    async stop() {
      const { profile } = await session.send<{ profile: CpuProfile }>("Profiler.stop");
      session.close();
      return profile;
    },
  };
}

/** Self time per function (name + file:line) and per file, largest first. */
export function summarizeProfile(profile: CpuProfile): {
  totalMs: number;
  byFunction: Array<{ name: string; ms: number }>;
  byFile: Array<{ name: string; ms: number }>;
} {
  const selfUs = new Map<number, number>();
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  // Each sample's time is the delta to the next sample (the last one gets none).
  for (let i = 0; i < samples.length; i++) {
    const dt = deltas[i + 1] ?? 0;
    selfUs.set(samples[i]!, (selfUs.get(samples[i]!) ?? 0) + Math.max(0, dt));
  }
  const fn = new Map<string, number>();
  const file = new Map<string, number>();
  let total = 0;
  for (const node of profile.nodes) {
    const us = selfUs.get(node.id) ?? 0;
    if (!us) continue;
    total += us;
    const f = node.callFrame;
    const where = f.url ? `${shortUrl(f.url)}:${f.lineNumber + 1}` : "(native)";
    const name = `${f.functionName || "(anonymous)"} ${where}`;
    fn.set(name, (fn.get(name) ?? 0) + us);
    const fileName = f.url ? shortUrl(f.url) : `(${f.functionName || "native"})`;
    file.set(fileName, (file.get(fileName) ?? 0) + us);
  }
  const sorted = (m: Map<string, number>) =>
    [...m].sort((a, b) => b[1] - a[1]).map(([name, us]) => ({ name, ms: us / 1000 }));
  return { totalMs: total / 1000, byFunction: sorted(fn), byFile: sorted(file) };
}

function shortUrl(url: string): string {
  const i = url.indexOf("node_modules/");
  if (i >= 0) return url.slice(i);
  return url.replace(/^.*?\/(workers|durable-objects|r2|scripts|\.wrangler)\//, "$1/");
}

/**
 * Busy sample time by the innermost stack frame in a Durable Object's folder
 * (`durable-objects/<class>`) or in `workers/` (the Worker: queue consumer, HTTP, cron): which
 * object's or the Worker's code a sample ran under, the libraries (`r2/`) and native work (SQLite,
 * RPC) it called included. The rest (runtime work under no product frame: GC, the runtime's own
 * tasks) is "(outside)". Largest first.
 */
export function shareByComponent(profile: CpuProfile): Array<{ name: string; ms: number }> {
  const component = (url: string) => /(durable-objects\/[a-z_]+|workers)\//.exec(url)?.[1] ?? null;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const owner = new Map<number, string>(); // memo: node id → component
  const ownerOf = (id: number): string => {
    const known = owner.get(id);
    if (known) return known;
    const n = byId.get(id)!;
    const up = parent.get(id);
    const name = component(n.callFrame.url) ?? (up === undefined ? "(outside)" : ownerOf(up));
    owner.set(id, name);
    return name;
  };
  const us = new Map<string, number>();
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  for (let i = 0; i < samples.length; i++) {
    const node = byId.get(samples[i]!)!;
    if (node.callFrame.functionName === "(idle)") continue;
    const name = ownerOf(node.id);
    us.set(name, (us.get(name) ?? 0) + Math.max(0, deltas[i + 1] ?? 0));
  }
  return [...us].sort((a, b) => b[1] - a[1]).map(([name, v]) => ({ name, ms: v / 1000 }));
}

/** One paragraph: busy sample time, the top 25 functions by self time and the top 12 files. */
export function describeProfile(profile: CpuProfile, file: string): string {
  const s = summarizeProfile(profile);
  const busy = s.totalMs - (s.byFunction.find((f) => f.name.startsWith("(idle)"))?.ms ?? 0);
  const pct = (ms: number) => `${((100 * ms) / Math.max(1, busy)).toFixed(1)} %`;
  const fns = s.byFunction.filter((f) => !f.name.startsWith("(idle)")).slice(0, 25)
    .map((f) => `${f.name} ${(f.ms / 1000).toFixed(2)} s (${pct(f.ms)})`);
  const files = s.byFile.filter((f) => f.name !== "((idle))").slice(0, 12)
    .map((f) => `${f.name} ${(f.ms / 1000).toFixed(2)} s (${pct(f.ms)})`);
  return `${file}: ${(busy / 1000).toFixed(1)} s of samples not idle (of ${
    (s.totalMs / 1000).toFixed(1)
  } s). ` +
    `Self time, top 25 functions: ${fns.join("; ")}. By file: ${files.join("; ")}. ` +
    `By component (the innermost product frame of each sample's stack, native work under it included): ${
      shareByComponent(profile).slice(0, 12).map((c) =>
        `${c.name} ${(c.ms / 1000).toFixed(2)} s (${pct(c.ms)})`
      )
        .join("; ")
    }`;
}

/**
 * Stops `profiling`, maps it to the sources with the running bundle's source map, saves it as
 * `<dir>/worker.cpuprofile` and describes it (`describeProfile`); the file is named relative to
 * `root`.
 */
export async function saveCpuProfile(
  profiling: Profiling,
  root: string,
  dir: string,
): Promise<{ file: string; summary: string }> {
  const profile = await profiling.stop();
  const mapFile = join(dir, "main.js.map");
  if (keepBundleSourceMap(root, mapFile)) symbolizeProfile(profile, mapFile);
  const file = relative(root, join(dir, "worker.cpuprofile"));
  writeFileSync(join(root, file), JSON.stringify(profile));
  return { file, summary: describeProfile(profile, file) };
}
