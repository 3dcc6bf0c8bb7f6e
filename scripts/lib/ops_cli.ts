/**
 * Pure core of `npm run ops -- <command>`: argument parsing, the HTTP request each command
 * makes, and the mapping of failures to clear messages and exit codes.
 */

export const USAGE = `usage: npm run ops -- <command> [options]

commands:
  status                      health verdict, reasons and counts (GET /api/health);
                              exit 0 ok, 6 degraded, 7 down
  start [--since ISO] [--stream-url URL]
                              start (or re-point) the ingestor
  stop                        stop the ingestor
  backfill --since ISO [--wait]
                              re-read the stream from a past time; --wait follows it
                              (progress every 5 s) until the ingestor's lag is under 60 s
  correction                  run the late-data correction now
  maintenance [--job NAME] [--table NAME]
                              run table maintenance (all jobs by default)
  dead-letters [list|replay] [--limit N]
                              list the dead letters waiting, or replay them
  reset --yes                 delete every table and counter (asks for --yes)
  init                        create the tables in the local lake (a deployed Worker creates
                              them on its first commit: with a remote --url there is nothing to do)

options:
  --url URL      the Worker (default $WIKIFLARE_URL or http://127.0.0.1:8787)
  --token TOKEN  admin token (default $ADMIN_TOKEN)
  -h, --help     this text

exit codes: 0 ok, 1 the Worker reported an error, 2 usage, 3 unreachable, 4 401/403, 5 503 (admin disabled),
6 status degraded, 7 status down`;

export const EXIT = {
  ok: 0,
  failed: 1,
  usage: 2,
  unreachable: 3,
  auth: 4,
  disabled: 5,
  degraded: 6,
  down: 7,
} as const;

export type OpsCommand =
  | "status"
  | "start"
  | "stop"
  | "backfill"
  | "correction"
  | "maintenance"
  | "dead-letters"
  | "reset"
  | "init";
const COMMANDS: OpsCommand[] = [
  "status",
  "start",
  "stop",
  "backfill",
  "correction",
  "maintenance",
  "dead-letters",
  "reset",
  "init",
];

export interface OpsArgs {
  command: OpsCommand;
  sub: string | null;
  url: string;
  token: string | null;
  options: Record<string, string | boolean>;
}

export class UsageError extends Error {
  override name = "UsageError";
}

const VALUE_OPTIONS = new Set(["url", "token", "since", "stream-url", "job", "table", "limit"]);
const FLAG_OPTIONS = new Set(["yes", "help", "wait"]);

/** Parses argv (after `--`); `{ help: true }` for -h/--help or no command. */
export function parseOpsArgs(
  argv: string[],
  env: Record<string, string | undefined>,
): OpsArgs | { help: true } {
  const positional: string[] = [];
  const options: Record<string, string | boolean> = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "-h" || a === "--help") return { help: true };
    if (a.startsWith("--")) {
      const [name, inline] = a.slice(2).split(/=(.*)/s, 2) as [string, string | undefined];
      if (FLAG_OPTIONS.has(name)) options[name] = true;
      else if (VALUE_OPTIONS.has(name)) {
        const value = inline ?? argv[++i];
        if (value === undefined || value === "") throw new UsageError(`--${name} needs a value`);
        if (name in options) throw new UsageError(`--${name} given twice`);
        options[name] = value;
      } else throw new UsageError(`unknown option --${name}`);
    } else positional.push(a);
  }
  if (!positional.length) return { help: true };
  const command = positional[0] as OpsCommand;
  if (!COMMANDS.includes(command)) throw new UsageError(`unknown command "${positional[0]}"`);
  const sub = positional[1] ?? null;
  if (command === "dead-letters" && sub !== null && sub !== "list" && sub !== "replay") {
    throw new UsageError(`dead-letters takes "list" or "replay", not "${sub}"`);
  }
  if (command !== "dead-letters" && positional.length > 1) {
    throw new UsageError(`unexpected "${positional[1]}"`);
  }
  if (command === "reset" && options.yes !== true) {
    throw new UsageError("reset deletes every table and counter: pass --yes to confirm");
  }
  if (typeof options.limit === "string" && !/^\d{1,4}$/.test(options.limit)) {
    throw new UsageError("--limit must be a whole number");
  }
  if (typeof options.since === "string" && Number.isNaN(Date.parse(options.since))) {
    throw new UsageError("--since must be an ISO time, e.g. 2026-01-01T00:00:00Z");
  }
  const url = String(options.url ?? env.WIKIFLARE_URL ?? "http://127.0.0.1:8787").replace(/\/+$/, "");
  if (!/^https?:\/\/[^/\s]+/.test(url)) throw new UsageError(`--url must be http(s)://…, got "${url}"`);
  const token = typeof options.token === "string" ? options.token : env.ADMIN_TOKEN ?? null;
  return { command, sub, url, token, options };
}

/** The request a command makes (null for `init`, which runs locally). */
export function planRequest(args: OpsArgs): { method: "GET" | "POST"; path: string; admin: boolean } | null {
  const q = (pairs: [string, unknown][]) => {
    const p = new URLSearchParams();
    for (const [k, v] of pairs) if (typeof v === "string") p.set(k, v);
    const s = p.toString();
    return s ? `?${s}` : "";
  };
  const o = args.options;
  switch (args.command) {
    case "status":
      return { method: "GET", path: "/api/health", admin: false };
    case "start":
      return {
        method: "POST",
        path: `/api/admin/ingest/start${q([["url", o["stream-url"]], ["since", o.since]])}`,
        admin: true,
      };
    case "backfill":
      if (typeof o.since !== "string") throw new UsageError("backfill needs --since ISO");
      return { method: "POST", path: `/api/admin/ingest/start${q([["since", o.since]])}`, admin: true };
    case "stop":
      return { method: "POST", path: "/api/admin/ingest/stop", admin: true };
    case "correction":
      return { method: "POST", path: "/api/admin/correction", admin: true };
    case "maintenance":
      return {
        method: "POST",
        path: `/api/admin/maintenance${q([["job", o.job], ["table", o.table]])}`,
        admin: true,
      };
    case "dead-letters":
      return args.sub === "replay"
        ? { method: "POST", path: `/api/admin/dead-letters/replay${q([["limit", o.limit]])}`, admin: true }
        : { method: "GET", path: `/api/admin/dead-letters${q([["limit", o.limit]])}`, admin: true };
    case "reset":
      return { method: "POST", path: "/api/admin/reset?confirm=yes", admin: true };
    case "init":
      return null;
  }
}

/** A failed answer (or no answer) as a message and an exit code. */
export function describeFailure(
  url: string,
  failure: { status: number; body: string } | { error: unknown },
): { message: string; exitCode: number } {
  if ("error" in failure) {
    const c = (failure.error as { cause?: { code?: string; message?: string; errors?: { code?: string }[] } })
      ?.cause;
    const cause = c?.code ?? c?.errors?.[0]?.code ?? c?.message ?? String(failure.error);
    return {
      message: `cannot reach ${url} (${cause}); is the Worker running (npm run demo) or is --url right?`,
      exitCode: EXIT.unreachable,
    };
  }
  let detail = failure.body.slice(0, 300);
  try {
    detail = (JSON.parse(failure.body) as { error?: { message?: string } }).error?.message ?? detail;
  } catch { /* not JSON */ }
  if (failure.status === 401) {
    return {
      message: `401 from ${url}: no admin token — set ADMIN_TOKEN or pass --token`,
      exitCode: EXIT.auth,
    };
  }
  if (failure.status === 403) {
    return { message: `403 from ${url}: the admin token is wrong (${detail})`, exitCode: EXIT.auth };
  }
  if (failure.status === 503) {
    return {
      message: `503 from ${url}: ${detail} — run \`wrangler secret put ADMIN_TOKEN\``,
      exitCode: EXIT.disabled,
    };
  }
  return { message: `HTTP ${failure.status} from ${url}: ${detail}`, exitCode: EXIT.failed };
}

/** Whether a Worker URL is this machine's (loopback), where `init` can create the tables itself. */
export function isLocalUrl(url: string): boolean {
  const host = new URL(url).hostname;
  return host === "127.0.0.1" || host === "localhost" || host === "[::1]" || host === "::1";
}

/** The exit code and one-line summary of a `/api/health` answer (`status`). */
export function statusVerdict(
  health: { status?: unknown; reasons?: unknown },
): { exitCode: number; line: string } {
  const reasons = Array.isArray(health.reasons) ? health.reasons.map(String) : [];
  const tail = reasons.length ? ` — ${reasons.join("; ")}` : "";
  if (health.status === "ok") return { exitCode: EXIT.ok, line: `status: ok${tail}` };
  if (health.status === "degraded") return { exitCode: EXIT.degraded, line: `status: degraded${tail}` };
  if (health.status === "down") return { exitCode: EXIT.down, line: `status: down${tail}` };
  return { exitCode: EXIT.failed, line: `status: unknown answer ${JSON.stringify(health.status)}` };
}

/** Lag under which a followed backfill counts as caught up with the stream. */
export const CAUGHT_UP_LAG_SECONDS = 60;

/** One progress line of a followed backfill, and whether it has caught up. */
export function backfillProgress(
  health: {
    events?: { received?: number; silver?: number };
    ingestor?: { lag_seconds?: number | null; connected?: boolean };
  },
  previousReceived: number | null,
): { line: string; caughtUp: boolean; received: number } {
  const received = health.events?.received ?? 0;
  const lag = health.ingestor?.lag_seconds ?? null;
  const delta = previousReceived === null ? "" : ` (+${received - previousReceived})`;
  const lagText = lag === null ? "lag unknown" : `lag ${Math.round(lag)} s`;
  const connected = health.ingestor?.connected ? "connected" : "not connected";
  return {
    line: `  backfill: ${received} events received${delta}, ${
      health.events?.silver ?? 0
    } in silver, ${lagText}, ${connected}`,
    caughtUp: lag !== null && lag < CAUGHT_UP_LAG_SECONDS && health.ingestor?.connected === true,
    received,
  };
}
