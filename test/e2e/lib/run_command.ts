/**
 * Runs a command of the repository (npm scripts, deno, synth) for the e2e tests: from the repo
 * root, with node_modules/.bin first on PATH; throws with its output when it fails.
 */
import { spawnSync } from "node:child_process";
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
