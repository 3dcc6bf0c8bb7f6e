/** Shell of the operator CLI: makes the planned request, prints the answer, returns the exit code. */
import { spawnSync } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import {
  backfillProgress,
  describeFailure,
  EXIT,
  isLocalUrl,
  parseOpsArgs,
  planRequest,
  statusVerdict,
  USAGE,
  UsageError,
} from "./ops_cli.ts";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

export async function runOps(
  argv: string[],
  env: Record<string, string | undefined>,
  io: { out: (s: string) => void; err: (s: string) => void },
): Promise<number> {
  let args;
  let plan;
  try {
    args = parseOpsArgs(argv, env);
    if ("help" in args) {
      io.out(USAGE);
      return EXIT.ok;
    }
    plan = planRequest(args);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    io.err(`${error.message}\n\n${USAGE}`);
    return EXIT.usage;
  }
  if (plan === null && !isLocalUrl(args.url)) {
    io.err(
      `init: ${args.url} is a deployed Worker: it creates its tables on its first commit, nothing to do`,
    );
    return EXIT.ok;
  }
  if (plan === null) { // init: the local lake (a deployed Worker creates its tables on first commit)
    io.err("init: creating the tables in the local lake (.wrangler/state)…");
    const r = spawnSync(process.execPath, [path.join(ROOT, "scripts/init_tables.ts")], { stdio: "inherit" });
    return r.status === 0 ? EXIT.ok : EXIT.failed;
  }
  const headers: Record<string, string> = {};
  if (plan.admin) {
    if (!args.token) {
      io.err("this command needs the admin token: set ADMIN_TOKEN or pass --token");
      return EXIT.auth;
    }
    headers.authorization = `Bearer ${args.token}`;
  }
  io.err(`${args.command}: ${plan.method} ${args.url}${plan.path.replace(/\?.*/, "")} …`);
  const began = Date.now();
  const ticker = setInterval(
    () => io.err(`  … still running (${Math.round((Date.now() - began) / 1000)} s)`),
    5_000,
  );
  try {
    const response = await fetch(`${args.url}${plan.path}`, {
      method: plan.method,
      headers,
      signal: AbortSignal.timeout(600_000),
    });
    const body = await response.text();
    if (!response.ok) {
      const f = describeFailure(args.url, { status: response.status, body });
      io.err(f.message);
      return f.exitCode;
    }
    io.out(prettyJson(body));
    if (args.command === "status") {
      const verdict = statusVerdict(JSON.parse(body));
      io.err(verdict.line);
      return verdict.exitCode;
    }
    if (args.command === "backfill" && args.options.wait === true) return await followBackfill(args.url, io);
    return EXIT.ok;
  } catch (error) {
    const f = describeFailure(args.url, { error });
    io.err(f.message);
    return f.exitCode;
  } finally {
    clearInterval(ticker);
  }
}

function prettyJson(body: string): string {
  try {
    return JSON.stringify(JSON.parse(body), null, 2);
  } catch {
    return body;
  }
}

/** `backfill --wait`: polls /api/health every 5 s, printing progress, until the ingestor caught up. */
async function followBackfill(url: string, io: { out: (s: string) => void; err: (s: string) => void }) {
  let previous: number | null = null;
  for (;;) {
    await new Promise((r) => setTimeout(r, 5_000));
    try {
      const response = await fetch(`${url}/api/health`, { signal: AbortSignal.timeout(30_000) });
      const progress = backfillProgress(await response.json(), previous);
      previous = progress.received;
      io.err(progress.line);
      if (progress.caughtUp) {
        io.err("backfill: caught up with the stream");
        return EXIT.ok;
      }
    } catch (error) {
      const f = describeFailure(url, { error });
      io.err(f.message);
      return f.exitCode;
    }
  }
}
