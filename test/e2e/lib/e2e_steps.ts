/**
 * The steps every e2e test takes outside the stack: a fresh run directory, a synth stream, an
 * export of the local lake, commands of the repository run from its root with
 * node_modules/.bin first on PATH (a failing command throws with its output), and the one
 * summary line each stage prints.
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import process from "node:process";
import { REPO_ROOT } from "../../../scripts/lib/local_stack.ts";

const env = { ...process.env, PATH: `${path.join(REPO_ROOT, "node_modules", ".bin")}:${process.env.PATH}` };

/** Runs `cmd args` to completion (at most `timeoutMs`); returns stderr + stdout. */
export function runCommand(cmd: string, args: string[], timeoutMs: number): string {
  const r = spawnSync(cmd, args, {
    cwd: REPO_ROOT,
    env,
    encoding: "utf8",
    timeout: timeoutMs,
    maxBuffer: 64 << 20,
  });
  if (r.status !== 0) {
    throw new Error(
      `${cmd} ${args.join(" ")} failed (${r.status ?? r.signal}):\n${r.stderr}\n${r.stdout}`.slice(-4000),
    );
  }
  return r.stderr + r.stdout;
}

/** Creates `test-output/e2e/<kind>-<timestamp>` and returns its path. */
export function createRunDir(kind: string): string {
  const dir = path.join(
    REPO_ROOT,
    "test-output",
    "e2e",
    `${kind}-${new Date().toISOString().replace(/[:.]/g, "-")}`,
  );
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

/** Writes a synth stream (scripts/synth.ts) to `out` with `args`. */
export function synthStream(out: string, args: string[]): void {
  runCommand(path.join(REPO_ROOT, "node_modules", ".bin", "deno"), [
    "run",
    "-A",
    "scripts/synth.ts",
    "--out",
    out,
    ...args,
  ], 120_000);
}

/** Exports the lake of the local state in `persistDir` to `out` (`npm run export-lake`). */
export function exportLake(persistDir: string, out: string): void {
  runCommand("npm", ["run", "-s", "export-lake", "--", "--out", out, "--persist-to", persistDir], 300_000);
}

/**
 * Prints one summary line for a stage of an e2e test (`e2e <test>: <line>`), also when the test
 * passes: vitest runs with `silent: "passed-only"`, which keeps a passing test's console (the
 * stack's progress lines) out of the output, so this line goes to stdout directly.
 */
export function stageSummary(test: string, line: string): void {
  process.stdout.write(`e2e ${test}: ${line}\n`);
}
