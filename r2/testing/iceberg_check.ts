/**
 * Test support: runs the independent iceberg-check tool (../shared/tools/iceberg-check) on a
 * table directory. Where it is found, in order: $ICEBERG_CHECK (path of check.mjs); the CI copy
 * at test-output/iceberg-check (made by .ci/run); the shared directory itself when its
 * node_modules exist; otherwise the shared directory is copied to test-output/iceberg-check and
 * `npm ci` installs its three npm dependencies there (the shared tree is read-only). A missing
 * tool fails the test with these instructions rather than skipping it.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { chmodSync, cpSync, existsSync, readdirSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/** The repository root (two levels above r2/testing/). */
export const REPO_ROOT = fileURLToPath(new URL("../../", import.meta.url));

/** What iceberg-check reported (its `--json` output). */
export interface IcebergCheckReport {
  ok: boolean;
  errors: string[];
  warnings: string[];
  notes: string[];
  rows?: string;
  liveDataFiles?: number;
  recordCountSum?: string;
  icebird?: { rows?: number; error?: string };
  avrocat?: string;
}

const ready = (dir: string) =>
  existsSync(join(dir, "check.mjs")) && existsSync(join(dir, "node_modules/@duckdb/node-api"));

/** The path of a runnable check.mjs, installing a copy under test-output/ when needed. */
export function locateIcebergCheck(): string {
  const fromEnv = process.env.ICEBERG_CHECK;
  if (fromEnv) return fromEnv;
  const copy = join(REPO_ROOT, "test-output/iceberg-check");
  const shared = join(REPO_ROOT, "../shared/tools/iceberg-check");
  if (ready(copy)) return join(copy, "check.mjs");
  if (ready(shared)) return join(shared, "check.mjs");
  if (!existsSync(join(shared, "check.mjs"))) {
    throw new Error(`iceberg-check not found at ${shared}; set ICEBERG_CHECK=/path/to/check.mjs`);
  }
  try {
    rmSync(copy, { recursive: true, force: true });
    cpSync(shared, copy, { recursive: true });
    makeWritable(copy); // the shared tree is read-only; npm ci writes node_modules/ here
    execFileSync("npm", ["ci", "--no-audit", "--no-fund", "--loglevel=error"], { cwd: copy, stdio: "pipe" });
  } catch (error) {
    throw new Error(
      `Cannot install iceberg-check into ${copy} (run: cp -R ${shared} ${copy} && cd ${copy} && npm ci): ${error}`,
    );
  }
  return join(copy, "check.mjs");
}

/** Runs iceberg-check on every snapshot of the table in `tableDir`; returns exit status and report. */
export function runIcebergCheck(
  checkPath: string,
  tableDir: string,
): { status: number | null; report: IcebergCheckReport } {
  const run = spawnSync(process.execPath, [checkPath, tableDir, "--all-snapshots", "--json"], {
    encoding: "utf8",
    maxBuffer: 64 << 20,
  });
  if (run.error) throw run.error;
  try {
    return { status: run.status, report: JSON.parse(run.stdout) };
  } catch {
    throw new Error(`iceberg-check exited ${run.status} without a JSON report: ${run.stderr || run.stdout}`);
  }
}

function makeWritable(path: string): void {
  const info = statSync(path);
  chmodSync(path, info.mode | 0o200);
  if (info.isDirectory()) { for (const name of readdirSync(path)) makeWritable(join(path, name)); }
}
