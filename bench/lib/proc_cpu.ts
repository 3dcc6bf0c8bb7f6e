/**
 * CPU seconds used by process trees (Linux /proc): the stack's children (replay server, wrangler,
 * workerd) and everything they started. On a shared machine wall time mixes in other users'
 * load; CPU time per event does not.
 */
import { readdirSync, readFileSync } from "node:fs";

const TICKS_PER_SECOND = 100; // USER_HZ on Linux

function stat(pid: number): { ppid: number; ticks: number; ownTicks: number } | null {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
    // fields[0] is state (field 3); ppid is field 4, utime 14, stime 15, cutime 16, cstime 17.
    const at = (n: number) => Number(fields[n - 3]);
    return { ppid: at(4), ticks: at(14) + at(15) + at(16) + at(17), ownTicks: at(14) + at(15) };
  } catch {
    return null;
  }
}

/** The /proc stat of every process in the trees of `roots` (roots included), by pid. */
function treeStats(roots: readonly number[]): Map<number, NonNullable<ReturnType<typeof stat>>> {
  const all = readdirSync("/proc").filter((d) => /^\d+$/.test(d)).map(Number);
  const info = new Map(all.map((pid) => [pid, stat(pid)] as const));
  const inTree = new Set(roots);
  let grew = true;
  while (grew) {
    grew = false;
    for (const [pid, s] of info) {
      if (s && !inTree.has(pid) && inTree.has(s.ppid)) {
        inTree.add(pid);
        grew = true;
      }
    }
  }
  const out = new Map<number, NonNullable<ReturnType<typeof stat>>>();
  for (const pid of inTree) {
    const s = info.get(pid);
    if (s) out.set(pid, s);
  }
  return out;
}

/** CPU seconds (user + system, children that ended included) of `roots` and their descendants now. */
export function treeCpuSeconds(roots: readonly number[]): number {
  let ticks = 0;
  for (const s of treeStats(roots).values()) ticks += s.ticks;
  return ticks / TICKS_PER_SECOND;
}

/** What a process of the local stack is, from its command line. */
export function processRole(cmdline: string): string {
  if (/workerd serve .*--inspector-addr/.test(cmdline)) return "workerd (Worker, DOs, queue broker, R2)";
  if (/workerd serve/.test(cmdline)) return "workerd (wrangler's HTTP proxy)";
  if (/wrangler.* dev /.test(cmdline) && !/watchdog/.test(cmdline)) return "wrangler (Node)";
  if (/esbuild/.test(cmdline)) return "esbuild (wrangler's bundler)";
  if (/replay_server/.test(cmdline) && !/watchdog/.test(cmdline)) return "replay server (Deno)";
  if (/watchdog/.test(cmdline)) return "watchdogs (Node)";
  return "other";
}

/** CPU seconds (own, without ended children) of every process in the trees of `roots`, by role. */
export function cpuByRole(roots: readonly number[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const [pid, s] of treeStats(roots)) {
    let cmd = "";
    try {
      cmd = readFileSync(`/proc/${pid}/cmdline`, "utf8").replaceAll("\0", " ");
    } catch { /* gone */ }
    const role = processRole(cmd);
    out.set(role, (out.get(role) ?? 0) + s.ownTicks / TICKS_PER_SECOND);
  }
  return out;
}
