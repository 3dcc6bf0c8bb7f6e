/**
 * `npm run ops -- <command>` — the operator CLI against the local runtime or a deployed Worker
 * (`--url`, token from $ADMIN_TOKEN or `--token`). See `npm run ops -- --help`. Runs on Node 22.
 */
import process from "node:process";
import { runOps } from "./lib/ops_run.ts";

process.exitCode = await runOps(process.argv.slice(2), process.env, {
  out: (s) => process.stdout.write(s + "\n"),
  err: (s) => process.stderr.write(s + "\n"),
});
