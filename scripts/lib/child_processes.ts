/**
 * Child processes of the local stack: spawned in their own process group with logs in a file,
 * stopped as whole trees (SIGTERM, then SIGKILL), and never left behind when the parent exits,
 * however it exits: each child runs under a watchdog (`watchdog.ts`) that leads its group and
 * ends it when the pipe from this process closes (the kernel closes it even on SIGKILL). This
 * process, in turn, stops everything when its own parent goes away ({@link watchParent}).
 */
import { type ChildProcess, spawn } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import process from "node:process";
import { clearInterval, setInterval, setTimeout } from "node:timers";
import { fileURLToPath } from "node:url";
import { setTimeout as sleep } from "node:timers/promises";

/** A child process started by {@link spawnLogged}. */
export interface StackChild {
  name: string;
  proc: ChildProcess;
  logFile: string;
  exited: Promise<number | string | null>;
  exitedYet: boolean;
  /** Size of the log file when this child started (earlier runs append to the same file). */
  logOffset: number;
}

/** The child's own log output so far (without earlier runs'). */
export function readOwnLog(child: StackChild): string {
  try {
    return fs.readFileSync(child.logFile).subarray(child.logOffset).toString("utf8");
  } catch {
    return "";
  }
}

const live = new Set<StackChild>();
const WATCHDOG = path.join(path.dirname(fileURLToPath(import.meta.url)), "watchdog.ts");
let hooksInstalled = false;

/** Last `n` lines of a log file (for error messages). */
export function tailFile(file: string, n = 30): string {
  try {
    // deno-lint-ignore no-control-regex
    const text = fs.readFileSync(file, "utf8").replace(/\x1b\[[0-9;]*m/g, "");
    const lines = text.split("\n").filter((l) => l.trim() !== "");
    return lines.slice(-n).join("\n");
  } catch {
    return "(no log)";
  }
}

function killGroup(child: StackChild, signal: "SIGTERM" | "SIGKILL"): void {
  if (child.exitedYet || child.proc.pid === undefined) return;
  try {
    process.kill(-child.proc.pid, signal); // the whole process group (spawned detached)
  } catch {
    try {
      child.proc.kill(signal);
    } catch { /* already gone */ }
  }
}

/** Stops one child's process tree: SIGTERM to its group, SIGKILL after `graceMs`. */
export async function stopChild(
  child: StackChild,
  graceMs = 8_000,
  firstSignal: "SIGTERM" | "SIGKILL" = "SIGTERM",
): Promise<void> {
  killGroup(child, firstSignal);
  const timer = new Promise((r) => setTimeout(r, graceMs).unref());
  await Promise.race([child.exited, timer]);
  // SIGKILL the group even when the leader exited: grandchildren may linger in it.
  if (child.proc.pid !== undefined) {
    try {
      process.kill(-child.proc.pid, "SIGKILL");
    } catch { /* group empty */ }
  }
  live.delete(child);
}

function installHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  process.on("exit", () => {
    for (const c of live) {
      if (c.proc.pid !== undefined) {
        try {
          process.kill(-c.proc.pid, "SIGKILL");
        } catch { /* gone */ }
      }
    }
  });
  let stopping = false;
  watchParent(() => process.kill(process.pid, "SIGTERM"));
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    const onSignal = () => {
      if (stopping) return; // a second Ctrl-C must not cut the clean-up short
      stopping = true;
      void Promise.all([...live].map((c) => stopChild(c, 5_000))).finally(() => {
        process.off(signal, onSignal);
        // Re-raise only when nobody else handles the signal, so the default exit happens.
        if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
        stopping = false;
      });
    };
    process.on(signal, onSignal);
  }
}

/** Spawns `cmd` in its own process group, stdout+stderr appended to `logFile`. */
export function spawnLogged(
  name: string,
  cmd: string,
  args: string[],
  opts: { cwd: string; env: Record<string, string | undefined>; logFile: string },
): StackChild {
  installHooks();
  fs.mkdirSync(path.dirname(opts.logFile), { recursive: true });
  const fd = fs.openSync(opts.logFile, "a");
  const logOffset = fs.fstatSync(fd).size;
  const shown = args.join(" ").replace(/ADMIN_TOKEN:\S+/g, "ADMIN_TOKEN:***");
  fs.writeSync(fd, `\n--- ${new Date().toISOString()} ${cmd} ${shown}\n`);
  // The watchdog leads the new group and keeps `cmd` in it; its stdin is the pipe whose EOF
  // (this process died) makes it end the group.
  const runtime = "deno" in process.versions ? [process.execPath, "run", "-A"] : [process.execPath];
  const proc = spawn(runtime[0]!, [...runtime.slice(1), WATCHDOG, "--", cmd, ...args], {
    cwd: opts.cwd,
    env: opts.env,
    stdio: ["pipe", fd, fd],
    detached: true,
  });
  proc.stdin?.on("error", () => {}); // the watchdog is gone: nothing to tell it
  fs.closeSync(fd);
  const child: StackChild = {
    name,
    proc,
    logFile: opts.logFile,
    exitedYet: false,
    exited: Promise.resolve(null),
    logOffset,
  };
  child.exited = new Promise((resolve) => {
    proc.once("error", (e) => {
      child.exitedYet = true;
      resolve(`spawn error: ${e.message}`);
    });
    proc.once("exit", (code, signal) => {
      child.exitedYet = true;
      resolve(code ?? signal);
    });
  });
  live.add(child);
  return child;
}

/**
 * The processes whose death means this one was orphaned: the parent and, when the parent is a
 * `sh -c` wrapper (what `npm run` puts between npm and the script), the parent's parent.
 */
function ancestry(): number[] {
  const chain = [process.ppid];
  const stat = (pid: number) => {
    try {
      return fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    } catch {
      return null;
    }
  };
  const parent = stat(process.ppid);
  if (parent === null) return chain; // no /proc (macOS): the parent pid alone
  let args: string[] = [];
  try {
    args = fs.readFileSync(`/proc/${process.ppid}/cmdline`, "utf8").split("\0");
  } catch { /* unreadable */ }
  if (/^(sh|dash|bash|zsh)$/.test(path.basename(args[0] ?? "")) && args[1] === "-c") {
    const grand = Number(parent.slice(parent.lastIndexOf(")") + 2).split(" ")[1]);
    if (grand > 1) chain.push(grand);
  }
  return chain;
}

/** Parent pid of `pid` (null when unknown). */
function parentOf(pid: number): number | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
  } catch {
    return null;
  }
}

/**
 * The ancestry as it was when this module loaded: a parent that dies before the first child is
 * spawned (e.g. while a bench still writes its stream) is then still noticed.
 */
const STARTUP_ANCESTRY = ancestry();

let watching = false;
/**
 * Calls `onOrphaned` once when this process loses its parent (or, under `npm run`, npm): the
 * parent pid changes, or the `sh -c` wrapper between them is reparented. Polls every 500 ms,
 * against the ancestry seen when this module loaded.
 */
export function watchParent(onOrphaned: () => void): void {
  if (watching) return;
  watching = true;
  const chain = STARTUP_ANCESTRY;
  const timer = setInterval(() => {
    const gone = process.ppid !== chain[0] ||
      (chain.length > 1 && parentOf(chain[0]!) !== null && parentOf(chain[0]!) !== chain[1]);
    if (!gone) return;
    clearInterval(timer);
    process.stderr.write(`parent process ${chain.join("/")} is gone: stopping every child process\n`);
    onOrphaned();
  }, 500);
  timer.unref();
}

/** Fails clearly when something already listens on `port` (another demo, a stranger). */
export async function assertPortFree(port: number, what: string, host = "127.0.0.1"): Promise<void> {
  const error = await new Promise<(Error & { code?: string }) | null>((resolve) => {
    const srv = net.createServer();
    srv.once("error", (e) => resolve(e as Error & { code?: string }));
    srv.listen(port, host, () => srv.close(() => resolve(null)));
  });
  if (error?.code === "EADDRINUSE") {
    throw new PortInUseError(
      `port ${port} (${what}) is already in use on ${host} — another wikiflare run, or some other ` +
        `program, is listening there. Stop it, or choose another port (--port).`,
    );
  }
  if (error) throw error;
}

/** {@link assertPortFree}'s error. */
export class PortInUseError extends Error {
  override name = "PortInUseError";
}

export async function freePort(): Promise<number> {
  return await new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

export async function fetchText(url: string, init: RequestInit = {}, timeoutMs = 10_000) {
  const res = await fetch(url, { ...init, signal: AbortSignal.timeout(timeoutMs) });
  return { status: res.status, body: await res.text() };
}

/** Polls `probe` until it returns true; throws `fail()`'s message after `timeoutMs`. */
export async function waitFor(
  probe: () => Promise<boolean>,
  opts: { timeoutMs: number; children: StackChild[]; fail: () => string; fatal?: RegExp },
): Promise<void> {
  const deadline = Date.now() + opts.timeoutMs;
  while (Date.now() < deadline) {
    const dead = opts.children.find((c) => c.exitedYet);
    if (dead) throw new Error(`${dead.name} exited early; last log lines:\n${tailFile(dead.logFile)}`);
    const stuck = opts.fatal && opts.children.find((c) => opts.fatal!.test(readOwnLog(c)));
    if (stuck) {
      throw new Error(`${stuck.name} failed (${opts.fatal}); last log lines:\n${tailFile(stuck.logFile)}`);
    }
    if (await probe().catch(() => false)) return;
    await sleep(500);
  }
  throw new Error(opts.fail());
}
