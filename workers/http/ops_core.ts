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

/**
 * The `Access-Control-Allow-Origin` value for a request's `origin` given `CORS_ORIGINS`
 * (comma-separated exact origins, or `*`); null (no CORS header) when not allowed or unset.
 */
export function corsOrigin(origin: string, configured: string | undefined): string | null {
  const allowed = (configured ?? "").split(",").map((s) => s.trim()).filter(Boolean);
  if (allowed.includes("*")) return "*";
  return origin && allowed.includes(origin) ? origin : null;
}
