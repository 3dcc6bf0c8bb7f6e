/**
 * Nothing outlives its parent: a SIGKILLed `npm run demo`, `npm start`, `npm run backfill -- --file`
 * or `npm run bench` (or any script that spawned children through spawnLogged, even one whose
 * parent died before it spawned them) leaves no process behind and frees its port; a second demo
 * on a taken port says so and exits instead of talking to whatever listens there; offline,
 * `npm start` names the stream it tries to read.
 */
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import process from "node:process";
import http from "node:http";
import { spawn } from "node:child_process";
import type { Buffer } from "node:buffer";
import { setTimeout as sleep } from "node:timers/promises";
import { afterEach, describe, expect, it } from "vitest";
import { REPO_ROOT } from "../../scripts/lib/local_stack.ts";

/** Alive and not a zombie (a container's pid 1 may never reap reparented children). */
const isAlive = (pid: number) => {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return fs.readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.[0] !== "Z";
  } catch {
    return false;
  }
};

/** Every live descendant of `root` (walking /proc's parent pids), with its command line. */
function descendants(root: number): Map<number, string> {
  const parentOf = new Map<number, number>();
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, "utf8");
      parentOf.set(Number(entry), Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]));
    } catch { /* gone meanwhile */ }
  }
  const found = new Map<number, string>();
  let grew = true;
  while (grew) {
    grew = false;
    for (const [pid, ppid] of parentOf) {
      if (!found.has(pid) && (ppid === root || found.has(ppid))) {
        let cmd = "?";
        try {
          cmd = fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").replaceAll("\0", " ").trim();
        } catch { /* gone */ }
        found.set(pid, cmd);
        grew = true;
      }
    }
  }
  return found;
}

const portFree = (port: number) =>
  new Promise<boolean>((resolve) => {
    const srv = net.createServer();
    srv.once("error", () => resolve(false));
    srv.listen(port, "127.0.0.1", () => srv.close(() => resolve(true)));
  });

async function freePort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise((r) => srv.close(r));
  return port;
}

/** Waits until every pid is dead; returns the survivors (command lines). */
async function waitAllDead(pids: Map<number, string>, timeoutMs: number): Promise<string[]> {
  const deadline = Date.now() + timeoutMs;
  let alive = [...pids.keys()].filter(isAlive);
  while (alive.length && Date.now() < deadline) {
    await sleep(200);
    alive = alive.filter(isAlive);
  }
  return alive.map((p) => `${p} ${pids.get(p)}`);
}

const cleanup: Array<() => void> = [];
afterEach(() => {
  for (const f of cleanup.splice(0)) f();
});
/** Last resort after a failed test: SIGKILL whatever is still alive. */
function reapLater(pids: () => Iterable<number>) {
  cleanup.push(() => {
    for (const p of pids()) {
      try {
        process.kill(p, "SIGKILL");
      } catch { /* gone */ }
    }
  });
}

/** Everything `proc` writes to its piped stdout and stderr, as one text so far. */
function outputOf(proc: { stdout: NodeJS.ReadableStream | null; stderr: NodeJS.ReadableStream | null }) {
  let text = "";
  for (const stream of [proc.stdout, proc.stderr]) stream?.on("data", (d: Buffer) => text += String(d));
  return () => text;
}

/** Waits until `text()` matches `pattern` (or the process exits / the deadline passes). */
async function waitForOutput(
  text: () => string,
  pattern: RegExp,
  proc: { exitCode: number | null },
  ms: number,
) {
  const deadline = Date.now() + ms;
  while (!pattern.test(text())) {
    if (Date.now() > deadline || proc.exitCode !== null) {
      throw new Error(`no ${pattern} in the output:\n${text().slice(-3000)}`);
    }
    await sleep(250);
  }
}

/** Waits until the tree under `root` holds a process whose command line matches every pattern. */
async function waitForTree(root: number, patterns: RegExp[], ms: number): Promise<Map<number, string>> {
  const deadline = Date.now() + ms;
  for (;;) {
    const tree = descendants(root);
    const commands = [...tree.values()].join("\n");
    if (patterns.every((p) => p.test(commands))) return tree;
    if (Date.now() > deadline) throw new Error(`no ${patterns.join(", ")} under ${root}:\n${commands}`);
    await sleep(250);
  }
}

describe("children die with their parent", () => {
  it("SIGKILL of a script that spawned children leaves neither child nor grandchild", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "orphan-"));
    const script = path.join(dir, "parent.ts");
    const log = path.join(dir, "tree.log");
    fs.writeFileSync(
      script,
      `import { spawnLogged } from ${JSON.stringify(path.join(REPO_ROOT, "scripts/lib/child_processes.ts"))};
const c = spawnLogged("tree", "bash", ["-c", "sleep 300 & echo $! ; wait"], { cwd: "/", env: process.env, logFile: ${
        JSON.stringify(log)
      } });
console.log("child " + c.proc.pid);
setInterval(() => {}, 1000);
`,
    );
    const parent = spawn(process.execPath, [script], { stdio: ["ignore", "pipe", "inherit"] });
    let tree = new Map<number, string>();
    reapLater(() => tree.keys());
    for (let i = 0; i < 100 && ![...tree.values()].some((c) => c.startsWith("sleep")); i++) {
      await sleep(100);
      tree = descendants(parent.pid!);
    }
    expect([...tree.values()].some((c) => c.startsWith("sleep 300"))).toBe(true);
    expect([...tree.values()].some((c) => c.includes("watchdog.ts"))).toBe(true);
    parent.kill("SIGKILL");
    expect(await waitAllDead(tree, 10_000)).toEqual([]);
  });

  it("a second demo on a taken port says so and exits without starting anything", async () => {
    const port = await freePort();
    const stranger = net.createServer((s) => s.end("HTTP/1.1 200 OK\r\n\r\n{}"));
    await new Promise<void>((r) => stranger.listen(port, "127.0.0.1", r));
    cleanup.push(() => stranger.close());
    const persist = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "orphan-busy-")), "state");
    const demo = spawn("npm", ["run", "demo", "--", "--port", String(port), "--persist-to", persist], {
      cwd: REPO_ROOT,
      stdio: ["ignore", "pipe", "pipe"],
    });
    const err = outputOf(demo);
    const code = await new Promise<number | null>((r) => demo.once("exit", (c) => r(c)));
    expect(code).toBe(1);
    expect(err()).toMatch(new RegExp(`port ${port} \\(the Worker\\) is already in use`));
    expect(fs.existsSync(path.join(path.dirname(persist), "logs", "replay.log"))).toBe(false);
  }, 60_000);

  it("SIGKILL of `npm run demo` leaves no process of it and frees the port", async () => {
    const port = await freePort();
    const persist = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "orphan-demo-")), "state");
    const demo = spawn("npm", [
      "run",
      "demo",
      "--",
      "--port",
      String(port),
      "--speed",
      "max",
      "--persist-to",
      persist,
    ], {
      cwd: REPO_ROOT,
      stdio: ["ignore", "ignore", "pipe"],
      env: { ...process.env, ADMIN_TOKEN: "orphan-test" },
    });
    const err = outputOf(demo);
    let tree = new Map<number, string>();
    reapLater(() => tree.keys());
    const deadline = Date.now() + 150_000;
    while (!/wikiflare is running \(demo mode\), reading http:\/\/127\.0\.0\.1:\d+\//.test(err())) {
      if (Date.now() > deadline || demo.exitCode !== null) throw new Error(`demo did not start:\n${err()}`);
      await sleep(500);
    }
    tree = descendants(demo.pid!);
    const commands = [...tree.values()].join("\n");
    expect(commands).toMatch(/workerd/);
    expect(commands).toMatch(/replay_server\.ts/);
    expect(await portFree(port)).toBe(false);
    const health = await fetch(`http://127.0.0.1:${port}/api/health`);
    expect(health.status).toBe(200);

    demo.kill("SIGKILL"); // npm alone: sh, node, wrangler, workerd and deno must follow
    expect(await waitAllDead(tree, 30_000)).toEqual([]);
    expect(await portFree(port)).toBe(true);
  }, 240_000);

  it("a script whose parent died before it spawned anything still stops what it spawns", async () => {
    // npm → sh -c → node: the middle process stands for npm and is SIGKILLed while the script is
    // still busy (as a bench is while it writes its stream), before its first spawnLogged().
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "orphan-late-"));
    const go = path.join(dir, "go");
    const pidFile = path.join(dir, "child.pid");
    const script = path.join(dir, "late.ts");
    fs.writeFileSync(
      script,
      `import fs from "node:fs";
import { spawnLogged } from ${JSON.stringify(path.join(REPO_ROOT, "scripts/lib/child_processes.ts"))};
console.log("ready");
while (!fs.existsSync(${JSON.stringify(go)})) await new Promise((r) => setTimeout(r, 100));
const c = spawnLogged("late", "sleep", ["300"], { cwd: "/", env: process.env, logFile: ${
        JSON.stringify(path.join(dir, "late.log"))
      } });
fs.writeFileSync(${JSON.stringify(pidFile)}, String(c.proc.pid));
setInterval(() => {}, 1000);
`,
    );
    const middle = spawn(process.execPath, [
      "-e",
      `require("node:child_process").spawn("sh", ["-c", ${
        JSON.stringify(`${process.execPath} ${script}; :`)
      }], { stdio: "inherit" }); setInterval(() => {}, 1000);`,
    ], { stdio: ["ignore", "pipe", "pipe"] });
    const out = outputOf(middle);
    await waitForOutput(out, /^ready$/m, middle, 30_000);
    const tree = descendants(middle.pid!);
    reapLater(() => tree.keys());
    middle.kill("SIGKILL");
    await sleep(300);
    fs.writeFileSync(go, "");
    await waitForOutput(out, /parent process [\d/]+ is gone: stopping every child process/, {
      exitCode: null,
    }, 30_000);
    const watchdog = Number(fs.readFileSync(pidFile, "utf8"));
    const groupAlive = () => {
      try {
        process.kill(-watchdog, 0);
        return true;
      } catch {
        return false;
      }
    };
    for (let i = 0; i < 100 && groupAlive(); i++) await sleep(100);
    expect(groupAlive()).toBe(false); // the watchdog's group: it and `sleep 300`
    expect(await waitAllDead(tree, 10_000)).toEqual([]);
  }, 60_000);

  it("SIGKILL of `npm run backfill -- --file` stops its replay server", async () => {
    // The API it drives is a stand-in answering /api/health and the admin start: what is under
    // test is the backfill's own replay server (a Deno child under the watchdog).
    const api = http.createServer((req, res) => {
      res.setHeader("content-type", "application/json");
      if (req.url?.startsWith("/api/health")) {
        const zero = { received: 0, canary: 0, bronze: 0, silver: 0, quarantine: 0, duplicate: 0 };
        return res.end(
          JSON.stringify({ status: "ok", events: zero, watermark: null, ingestor: {}, tables: {} }),
        );
      }
      res.end(JSON.stringify({ control: { desired: "running" } }));
    });
    await new Promise<void>((r) => api.listen(0, "127.0.0.1", r));
    cleanup.push(() => api.close());
    const apiUrl = `http://127.0.0.1:${(api.address() as net.AddressInfo).port}`;
    const backfill = spawn("npm", [
      "run",
      "backfill",
      "--",
      "--file",
      path.join(REPO_ROOT, "test/e2e/fixtures/mini_stream.jsonl"),
      "--api",
      apiUrl,
      "--quiet-seconds",
      "600",
    ], {
      cwd: REPO_ROOT,
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, ADMIN_TOKEN: "orphan-test" },
    });
    const out = outputOf(backfill);
    await waitForOutput(
      out,
      /backfill: replaying .* through http:\/\/127\.0\.0\.1:\d+/,
      backfill,
      60_000,
    );
    const tree = await waitForTree(backfill.pid!, [/watchdog\.ts/, /replay_server\.ts/], 10_000);
    reapLater(() => tree.keys());
    const replayPort = Number(/through http:\/\/127\.0\.0\.1:(\d+)/.exec(out())![1]);
    expect(await portFree(replayPort)).toBe(false);
    backfill.kill("SIGKILL"); // npm alone
    expect(await waitAllDead(tree, 30_000)).toEqual([]);
    expect(await portFree(replayPort)).toBe(true);
  }, 120_000);

  it("offline, `npm start` names the stream it reads; SIGKILL of it leaves nothing", async () => {
    // "Offline": the live stream URL points at a closed local port (no test reaches the internet).
    const port = await freePort();
    const stream = `http://127.0.0.1:${await freePort()}/v2/stream/recentchange`;
    const persist = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "orphan-start-")), "state");
    const start = spawn("npm", [
      "start",
      "--",
      "--port",
      String(port),
      "--stream-url",
      stream,
      "--persist-to",
      persist,
    ], {
      cwd: REPO_ROOT,
      stdio: ["ignore", "ignore", "pipe"],
      env: { ...process.env, ADMIN_TOKEN: "orphan-test" },
    });
    const err = outputOf(start);
    let tree = new Map<number, string>();
    reapLater(() => tree.keys());
    const escaped = stream.replace(/[.]/g, "\\.");
    await waitForOutput(
      err,
      new RegExp(`wikiflare is running \\(live mode\\), reading ${escaped}\n`),
      start,
      150_000,
    );
    expect(err()).toContain(`warning: cannot reach the live Wikimedia stream at ${stream}`);
    tree = descendants(start.pid!);
    expect([...tree.values()].join("\n")).toMatch(/workerd/);
    start.kill("SIGKILL");
    expect(await waitAllDead(tree, 30_000)).toEqual([]);
    expect(await portFree(port)).toBe(true);
  }, 240_000);

  it("SIGKILL of `npm run bench` leaves no process of its local stack", async () => {
    const bench = spawn("npm", [
      "run",
      "bench",
      "--",
      "load",
      "--duration",
      "5",
      "--events",
      "200",
      "--connections",
      "1",
    ], {
      cwd: REPO_ROOT,
      stdio: ["ignore", "ignore", "pipe"],
    });
    const err = outputOf(bench);
    let tree = new Map<number, string>();
    reapLater(() => tree.keys());
    // Killed while its stack starts (workerd and the replay server exist, the load has not begun).
    tree = await waitForTree(bench.pid!, [/workerd/, /replay_server\.ts/], 150_000).catch((e) => {
      throw new Error(`${e.message}\n${err().slice(-3000)}`);
    });
    bench.kill("SIGKILL");
    expect(await waitAllDead(tree, 30_000)).toEqual([]);
  }, 240_000);
});
