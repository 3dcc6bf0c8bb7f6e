/**
 * What the pipeline suites share: a fresh run directory under bench/out, a synth stream made by
 * scripts/synth.ts, and the local stack (replay server + `wrangler dev`) started on it.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT } from "../../scripts/lib/local_stack.ts";

export { REPO_ROOT };
export { startLocalStack } from "../../scripts/lib/local_stack.ts";

/** Builds the dashboards once when `dist/assets` is missing (wrangler.toml's `[assets]` needs it). */
export function ensurePagesBuilt(): void {
  if (existsSync(join(REPO_ROOT, "dist", "assets"))) return;
  const r = spawnSync(process.execPath, ["scripts/build_pages.ts"], { cwd: REPO_ROOT, stdio: "inherit" });
  if (r.status !== 0) throw new Error(`build:pages failed (exit ${r.status})`);
}

/** A fresh directory bench/out/<suite>-<time> for one run's stream, state and logs. */
export function runDir(suite: string): string {
  ensurePagesBuilt();
  const dir = join(REPO_ROOT, "bench", "out", `${suite}-${Date.now()}`);
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** Options of {@link synthStream} (scripts/synth.ts flags). */
export interface SynthOptions {
  events: number;
  span: string;
  seed?: string;
  start?: string;
  duplicates?: number;
  canaries?: number;
  bad?: number;
  lateShare?: number;
  disorder?: string;
}

/** Writes a synth stream to `out` (.jsonl) with scripts/synth.ts; throws when it fails. */
export function synthStream(out: string, o: SynthOptions): void {
  const args = [
    "run",
    "-A",
    "scripts/synth.ts",
    "--out",
    out,
    "--events",
    String(o.events),
    "--span",
    o.span,
  ];
  const flag = (name: string, v: string | number | undefined) => {
    if (v !== undefined) args.push(`--${name}`, String(v));
  };
  flag("seed", o.seed ?? "1");
  flag("start", o.start);
  flag("duplicates", o.duplicates);
  flag("canaries", o.canaries);
  flag("bad", o.bad);
  flag("late-share", o.lateShare ?? 0);
  flag("disorder", o.disorder);
  args.push("--quiet");
  const r = spawnSync(join(REPO_ROOT, "node_modules/.bin/deno"), args, { cwd: REPO_ROOT, stdio: "inherit" });
  if (r.status !== 0) throw new Error(`synth failed (exit ${r.status})`);
}

/** Milliseconds → "12.3 s". */
export const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/** Worker vars from repeated `--var K:V` options (K an UPPER_SNAKE name); RangeError otherwise. */
export function workerVars(options: readonly string[]): Record<string, string> {
  return Object.fromEntries(options.map((kv) => {
    const i = kv.indexOf(":");
    if (i < 1 || !/^[A-Z][A-Z0-9_]*$/.test(kv.slice(0, i))) throw new RangeError(`--var K:V, got ${kv}`);
    return [kv.slice(0, i), kv.slice(i + 1)];
  }));
}

/** The results note naming the vars a run set, or none. */
export function varsNote(vars: Record<string, string>): string[] {
  const set = Object.entries(vars);
  return set.length ? [`Worker vars set for this run: ${set.map(([k, v]) => `${k}=${v}`).join(", ")}.`] : [];
}
