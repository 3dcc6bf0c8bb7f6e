/**
 * Pure parts of `npm run backfill`: its options, the progress line and when a backfill is done.
 */
import type { HealthReport } from "./local_stack_types.ts";

/** What to backfill from. */
export type BackfillSource = { kind: "since"; since: string } | { kind: "file"; path: string };

/** The options of one backfill. */
export interface BackfillOptions {
  source: BackfillSource;
  api: string;
  token: string;
  /** Stream URL for `--since` (default: the one the pipeline reads now). */
  url: string | null;
  /** Counts unchanged this long (with nothing pending) means done. */
  quietMs: number;
  timeoutMs: number;
}

/** Parses the command line (already split by util.parseArgs); throws RangeError with the fix. */
export function parseBackfillOptions(
  values: Record<string, string | boolean | undefined>,
  envToken: string | undefined,
): BackfillOptions {
  const since = values.since as string | undefined;
  const file = values.file as string | undefined;
  if ((since === undefined) === (file === undefined)) {
    throw new RangeError("give exactly one of --since ISO-TIME or --file PATH");
  }
  if (since !== undefined && !/^\d{4}-\d{2}-\d{2}T[\d:.]+(Z|[+-]\d{2}:\d{2})$/.test(since)) {
    throw new RangeError(
      `--since must be an ISO-8601 time with a zone, e.g. 2026-01-01T00:00:00Z; got "${since}"`,
    );
  }
  if (since !== undefined && !Number.isFinite(Date.parse(since))) {
    throw new RangeError(`--since is not a valid time: "${since}"`);
  }
  const token = (values.token as string | undefined) ?? envToken;
  if (!token) throw new RangeError("the admin token is needed: --token T or ADMIN_TOKEN in the environment");
  const api = String(values.api ?? "http://127.0.0.1:8787").replace(/\/+$/, "");
  if (!URL.canParse(api) || !/^https?:/.test(api)) {
    throw new RangeError(`--api must be an http(s) URL, got "${api}"`);
  }
  const seconds = (name: string, fallback: number) => {
    const raw = values[name];
    const n = raw === undefined ? fallback : Number(raw);
    if (!Number.isFinite(n) || n <= 0) {
      throw new RangeError(`--${name} must be a positive number, got "${raw}"`);
    }
    return n * 1000;
  };
  return {
    source: since !== undefined ? { kind: "since", since } : { kind: "file", path: file! },
    api,
    token,
    url: (values.url as string | undefined) ?? null,
    quietMs: seconds("quiet-seconds", 15),
    timeoutMs: seconds("timeout-seconds", 3600),
  };
}

/** One progress line: what changed since the backfill started. */
export function progressLine(start: HealthReport, now: HealthReport, elapsedMs: number): string {
  const d = (k: keyof HealthReport["events"]) => now.events[k] - start.events[k];
  const ingestor = (now.ingestor ?? {}) as Record<string, unknown>;
  const before = (start.ingestor ?? {}) as Record<string, unknown>;
  const rereads = Number(ingestor.rereads ?? 0) - Number(before.rereads ?? 0);
  return `backfill ${(elapsedMs / 1000).toFixed(0)} s: received +${
    d("received")
  } (already seen: ${rereads}), ` +
    `bronze +${d("bronze")}, silver +${d("silver")}, duplicate +${d("duplicate")}, ` +
    `quarantine +${d("quarantine")}, lag ${ingestor.lag_seconds ?? "?"} s, watermark ${
      now.watermark ?? "none"
    }`;
}
