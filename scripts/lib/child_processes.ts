/**
 * Child processes of the local stack: spawned in their own process group with logs in a file,
 * stopped as whole trees (SIGTERM, then SIGKILL), and never left behind when the parent exits.
 */
import { type ChildProcess, spawn } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import process from "node:process";
import { setTimeout } from "node:timers";
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
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
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
  const proc = spawn(cmd, args, { cwd: opts.cwd, env: opts.env, stdio: ["ignore", fd, fd], detached: true });
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
