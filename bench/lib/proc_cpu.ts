/**
 * CPU seconds used by process trees (Linux /proc): the stack's children (replay server, wrangler,
 * workerd) and everything they started. On a shared machine wall time mixes in other users'
 * load; CPU time per event does not.
 */
import { readdirSync, readFileSync } from "node:fs";

const TICKS_PER_SECOND = 100; // USER_HZ on Linux

function stat(pid: number): { ppid: number; ticks: number } | null {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
    // fields[0] is state (field 3); ppid is field 4, utime 14, stime 15, cutime 16, cstime 17.
    const at = (n: number) => Number(fields[n - 3]);
    return { ppid: at(4), ticks: at(14) + at(15) + at(16) + at(17) };
  } catch {
    return null;
  }
}

/** CPU seconds (user + system, children that ended included) of `roots` and their descendants now. */
export function treeCpuSeconds(roots: readonly number[]): number {
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
  let ticks = 0;
  for (const pid of inTree) ticks += info.get(pid)?.ticks ?? 0;
  return ticks / TICKS_PER_SECOND;
}
