/**
 * Pure helpers of the local stack: reading wrangler.toml's crons and vars, matching cron expressions,
 * and deciding from /api/health and the replay server's /stats when the pipeline is idle.
 */
import type { HealthEvents, HealthReport } from "./local_stack_types.ts";

/** Reads `crons = [...]` of the `[triggers]` table of a wrangler.toml text. */
export function parseCronTriggers(toml: string): string[] {
  const lines = toml.split("\n").filter((l) => !/^\s*#/.test(l));
  const start = lines.findIndex((l) => /^\s*\[triggers\]\s*(#.*)?$/.test(l));
  if (start < 0) return [];
  const end = lines.findIndex((l, i) => i > start && /^\s*\[/.test(l));
  const section = lines.slice(start + 1, end < 0 ? undefined : end).join("\n");
  const array = /crons\s*=\s*\[([\s\S]*?)\]/.exec(section);
  if (!array) return [];
  return [...array[1].matchAll(/"([^"]*)"|'([^']*)'/g)].map((m) => m[1] ?? m[2]);
}

function matchesField(field: string, value: number, min: number, max: number): boolean {
  return field.split(",").some((part) => {
    const m = /^(\*|(\d+)(?:-(\d+))?)(?:\/(\d+))?$/.exec(part);
    if (!m) throw new RangeError(`Unsupported cron field "${part}" (only *, N, N-M, lists and /step)`);
    const lo = m[1] === "*" ? min : Number(m[2]);
    const hi = m[1] === "*" ? max : m[3] !== undefined ? Number(m[3]) : m[4] !== undefined ? max : lo;
    const step = m[4] !== undefined ? Number(m[4]) : 1;
    return value >= lo && value <= hi && (value - lo) % step === 0;
  });
}

/** The string value of `name` in the `[vars]` table of a wrangler.toml text; null when absent. */
export function parseVar(toml: string, name: string): string | null {
  const lines = toml.split("\n");
  const start = lines.findIndex((l) => /^\s*\[vars\]\s*(#.*)?$/.test(l));
  if (start < 0) return null;
  for (const line of lines.slice(start + 1)) {
    if (/^\s*\[/.test(line)) break;
    const m = /^\s*([A-Za-z0-9_]+)\s*=\s*(?:"([^"]*)"|'([^']*)')/.exec(line);
    if (m && m[1] === name) return m[2] ?? m[3];
  }
  return null;
}

/** Whether a 5-field cron expression (UTC, as Cloudflare evaluates it) fires at `date`'s minute. */
export function cronMatches(expr: string, date: Date): boolean {
  const f = expr.trim().split(/\s+/);
  if (f.length !== 5) throw new RangeError(`Cron expression "${expr}" must have 5 fields`);
  const [minute, hour, dom, month, dow] = f;
  const day = date.getUTCDay();
  const domOk = matchesField(dom, date.getUTCDate(), 1, 31);
  const dowOk = matchesField(dow, day, 0, 7) || (day === 0 && matchesField(dow, 7, 0, 7));
  const dayOk = dom !== "*" && dow !== "*" ? domOk || dowOk : domOk && dowOk;
  return matchesField(minute, date.getUTCMinutes(), 0, 59) && matchesField(hour, date.getUTCHours(), 0, 23) &&
    matchesField(month, date.getUTCMonth() + 1, 1, 12) && dayOk;
}

/** `received − canary = bronze = silver + quarantine + duplicate` (DESIGN §4). */
export function isReconciled(e: HealthEvents): boolean {
  return e.received - e.canary === e.bronze && e.bronze === e.silver + e.quarantine + e.duplicate;
}

const firstNumber = (o: Record<string, unknown>, keys: string[]) =>
  keys.map((k) => o[k]).find((v): v is number => typeof v === "number");

/**
 * Whether the replay server's /stats says it served its whole input: `position.next ≥ frames`
 * (scripts/replay_server.ts), a boolean `done`/`finished`, or served ≥ total; null when it cannot tell.
 */
export function isReplayDone(stats: Record<string, unknown>): boolean | null {
  const position = stats.position as Record<string, unknown> | undefined;
  if (typeof stats.frames === "number" && typeof position?.next === "number") {
    return position.next >= stats.frames;
  }
  for (const k of ["done", "finished", "complete", "exhausted"]) {
    if (typeof stats[k] === "boolean") return stats[k] as boolean;
  }
  const served = firstNumber(stats, ["served", "sent", "events_served", "eventsServed"]);
  const total = firstNumber(stats, ["total", "frames", "events_total", "eventsTotal", "total_events"]);
  return served !== undefined && total !== undefined ? served >= total : null;
}

/** Sum of every numeric `*pending*` field of a health report (rows staged but not committed). */
export function pendingWork(h: HealthReport): number {
  let sum = 0;
  const walk = (v: unknown) => {
    if (v === null || typeof v !== "object") return;
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
      if (/pending/i.test(k) && typeof x === "number") sum += x;
      else walk(x);
    }
  };
  walk(h);
  return sum;
}

/** What must stay unchanged while idle: the counts, the watermark and table snapshot ids/versions. */
export function idleFingerprint(h: HealthReport): string {
  const snapshots: string[] = [];
  const walk = (v: unknown, at: string) => {
    if (v === null || typeof v !== "object") return;
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
      if (/snapshot|sequence|version|commits/i.test(k) && (typeof x === "string" || typeof x === "number")) {
        snapshots.push(`${at}.${k}=${x}`);
      } else walk(x, `${at}.${k}`);
    }
  };
  walk(h.tables ?? h.lake ?? null, "");
  return JSON.stringify([h.events, h.watermark, snapshots]);
}
