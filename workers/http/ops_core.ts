/** Pure core of the operations middleware: the log line's shape and the CORS origin decision. */

/** The structured request log line. */
export function requestLogLine(
  r: { requestId: string; method: string; path: string; status: number; ms: number },
) {
  return {
    msg: "request",
    request_id: r.requestId,
    method: r.method,
    path: r.path,
    status: r.status,
    ms: r.ms,
  };
}

/** A request slower than this is logged under `REQUEST_LOG = "errors"` too. */
export const SLOW_REQUEST_MS = 1_000;

/**
 * Whether a finished request gets its log line under `REQUEST_LOG`: "all" (the default, also for
 * an unset or unknown value) logs every request; "errors" only status ≥ 400 and requests that took
 * at least SLOW_REQUEST_MS (for read-heavy deployments and local load runs, where printing a line
 * per request is most of the local runtime's per-request cost).
 */
export function shouldLogRequest(mode: string | undefined, status: number, ms: number): boolean {
  if (mode !== "errors") return true;
  return status >= 400 || ms >= SLOW_REQUEST_MS;
}

/**
 * The `Access-Control-Allow-Origin` value for a request's `origin` given `CORS_ORIGINS`
 * (comma-separated exact origins, or `*`); null (no CORS header) when not allowed or unset.
 */
export function corsOrigin(origin: string, configured: string | undefined): string | null {
  const allowed = (configured ?? "").split(",").map((s) => s.trim()).filter(Boolean);
  if (allowed.includes("*")) return "*";
  return origin && allowed.includes(origin) ? origin : null;
}

/** The period of the read API's rate-limit binding (`[[ratelimits]]` in wrangler.toml: 10 or 60). */
export const READ_API_RATE_PERIOD_SECONDS = 60;

/** The key shared by every request without `cf-connecting-ip` (never the case behind Cloudflare). */
export const UNKNOWN_CLIENT_KEY = "client:unknown";

/**
 * Whether the per-client rate limit applies to a request: the read API under `/api/` only, never
 * `/api/health` (monitors poll it and must see `down`, not 429) nor `/api/admin/*` (bearer-token
 * guarded, the operator CLI loops over it), and not when `RATE_LIMIT_READ_API` is `off`.
 */
export function isRateLimited(path: string, setting: string | undefined): boolean {
  if ((setting ?? "on").trim().toLowerCase() === "off") return false;
  if (!path.startsWith("/api/")) return false;
  return path !== "/api/health" && path !== "/api/admin" && !path.startsWith("/api/admin/");
}

/**
 * The rate-limit key of a client: `cf-connecting-ip` (set by Cloudflare on every request, by
 * `wrangler dev` from the socket), else one shared key — never a client-chosen header such as
 * `X-Forwarded-For`, which anyone could vary to dodge the limit.
 */
export function rateLimitKey(connectingIp: string | undefined): string {
  const ip = (connectingIp ?? "").trim();
  return ip && ip.length <= 64 && /^[0-9a-fA-F:.]+$/.test(ip) ? `ip:${ip}` : UNKNOWN_CLIENT_KEY;
}

/** Longest query string the Worker reads (every route's own bounds are far below it). */
export const MAX_QUERY_CHARS = 4_096;

// deno-lint-ignore no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;

/**
 * The message of a 400 for a request no route should see, or null: a query parameter given more
 * than once (every parameter takes one value), a control character (NUL, CR/LF, …) in the decoded
 * path or in a query name or value, or a query string over MAX_QUERY_CHARS.
 */
export function malformedRequestMessage(url: URL): string | null {
  if (url.search.length > MAX_QUERY_CHARS) return `query string longer than ${MAX_QUERY_CHARS} characters`;
  let path: string;
  try {
    path = decodeURIComponent(url.pathname);
  } catch {
    return "path is not valid percent-encoding";
  }
  if (CONTROL.test(path)) return "control character in the path";
  const seen = new Set<string>();
  for (const [name, value] of url.searchParams) {
    if (CONTROL.test(name) || CONTROL.test(value)) {
      return `control character in query parameter "${name.slice(0, 32)}"`;
    }
    if (seen.has(name)) return `"${name.slice(0, 32)}" must be given at most once`;
    seen.add(name);
  }
  return null;
}
