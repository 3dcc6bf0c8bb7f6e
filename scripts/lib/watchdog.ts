/**
 * A tiny supervisor: `node watchdog.ts -- CMD ARGS…` runs CMD in the watchdog's own process group
 * (the watchdog is spawned detached, so it leads that group) and ends the whole group when its
 * parent dies, however it dies: the parent holds the write end of the watchdog's stdin pipe, and
 * the kernel closes it when the parent exits, even on SIGKILL, so stdin sees EOF. As a second
 * signal it polls its parent pid (a reparented watchdog has lost its parent). When CMD exits by
 * itself the watchdog exits the same way. Runs under Node 22 type stripping (or Deno).
 */
import { spawn } from "node:child_process";
import process from "node:process";
import { setInterval, setTimeout } from "node:timers";

const GRACE_MS = 3_000;
const dash = process.argv.indexOf("--");
const [cmd, ...args] = dash >= 0 ? process.argv.slice(dash + 1) : [];
if (!cmd) {
  process.stderr.write("usage: watchdog.ts -- CMD [ARGS…]\n");
  process.exit(2);
}
const parentPid = process.ppid;

/** Why the group is ending: the parent died (the watchdog cleans up) or it signalled us. */
let ending: "orphaned" | "signalled" | null = null;
function killGroupNow(): never {
  try {
    process.kill(-process.pid, "SIGKILL"); // the watchdog included
  } catch { /* gone */ }
  process.exit(1);
}
/** Ends the whole group: SIGTERM now, SIGKILL (the watchdog included) after the grace period. */
function endGroup(why: string): void {
  if (ending) return;
  ending = "orphaned";
  process.stderr.write(`[watchdog] ${why}: stopping ${cmd} and its process group\n`);
  try {
    process.kill(-process.pid, "SIGTERM");
  } catch { /* group gone */ }
  setTimeout(killGroupNow, GRACE_MS);
}

// Stays in this process group (not detached): a SIGKILL to the group reaches it and its children.
const child = spawn(cmd, args, { stdio: ["ignore", "inherit", "inherit"] });
child.once("error", (e) => {
  process.stderr.write(`[watchdog] cannot start ${cmd}: ${e.message}\n`);
  process.exit(127);
});
child.once("exit", (code, signal) => {
  // Orphaned: nobody else will reap the rest of the group (grandchildren may still run).
  if (ending === "orphaned") killGroupNow();
  if (signal) {
    process.removeAllListeners(signal);
    process.kill(process.pid, signal);
  }
  process.exit(code ?? 1);
});

// A SIGTERM/SIGINT/SIGHUP to the group reaches the child directly; the watchdog waits for it.
for (const s of ["SIGTERM", "SIGINT", "SIGHUP"] as const) {
  process.on(s, () => {
    if (ending) return;
    ending = "signalled"; // whoever signalled (stopChild) escalates to SIGKILL itself
    // ... unless it dies meanwhile: then the parent checks below end the group.
  });
}

process.stdin.on("data", () => {}); // the parent never writes; only EOF matters
process.stdin.on("end", () => {
  if (ending === "signalled") ending = null;
  endGroup("parent closed the pipe (it exited)");
});
process.stdin.on("error", () => endGroup("parent pipe broke"));
setInterval(() => {
  if (process.ppid !== parentPid) {
    ending = ending === "signalled" ? null : ending;
    endGroup(`parent ${parentPid} is gone`);
  }
}, 500).unref();
