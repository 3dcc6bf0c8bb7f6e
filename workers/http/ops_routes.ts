/**
 * Shell middleware of operations (issue 14): one structured JSON log line per request carrying a
 * request id (`cf-ray` when Cloudflare sent one, else a fresh UUID, echoed as `X-Request-Id`),
 * security headers on every response, and CORS for the read API from the `CORS_ORIGINS` var.
 */
import { createMiddleware } from "hono/factory";
import { secureHeaders } from "hono/secure-headers";
import { cors } from "hono/cors";
import { HTTPException } from "hono/http-exception";
import {
  corsOrigin,
  isRateLimited,
  malformedRequestMessage,
  rateLimitKey,
  READ_API_RATE_PERIOD_SECONDS,
  requestLogLine,
  shouldLogRequest,
} from "./ops_core.ts";

/** Logs `{"msg":"request","request_id",...}` once the response is known (`REQUEST_LOG`). */
export const requestLog = createMiddleware<{ Bindings: Env }>(async (c, next) => {
  const began = Date.now();
  const requestId = c.req.header("cf-ray") ?? crypto.randomUUID();
  c.header("X-Request-Id", requestId);
  await next();
  const ms = Date.now() - began;
  if (!shouldLogRequest(c.env.REQUEST_LOG, c.res.status, ms)) return;
  console.log(JSON.stringify(requestLogLine({
    requestId,
    method: c.req.method,
    path: new URL(c.req.url).pathname,
    status: c.res.status,
    ms,
  })));
});

/**
 * nosniff, Referrer-Policy, X-Frame-Options and a CSP on every response the Worker makes: nothing
 * it serves (JSON, SSE, metrics, the script-free `/docs` page) needs a script, a style sheet or
 * any other source, so `default-src 'none'`; no framing, plugins or `<base>` hijacking. The
 * dashboards are static assets with their own policy (`dashboards/static/_headers`).
 */
export const securityHeaders = secureHeaders({
  contentSecurityPolicy: {
    defaultSrc: ["'none'"],
    frameAncestors: ["'none'"],
    objectSrc: ["'none'"],
    baseUri: ["'none'"],
    formAction: ["'none'"],
  },
  referrerPolicy: "strict-origin-when-cross-origin",
  xFrameOptions: "DENY",
  crossOriginResourcePolicy: false, // the read API may be read cross-origin (CORS_ORIGINS)
});

/** CORS for the read API: only the origins listed in `CORS_ORIGINS` (comma-separated, or `*`). */
export const readApiCors = cors({
  origin: (origin, c) => corsOrigin(origin, (c.env as { CORS_ORIGINS?: string }).CORS_ORIGINS),
  allowMethods: ["GET", "HEAD", "OPTIONS"],
  maxAge: 600,
});

/**
 * Per-client rate limit of the read API on the Workers rate-limiting binding (`READ_API_LIMITER`,
 * `[[ratelimits]]` in wrangler.toml; Miniflare emulates it locally): over the limit a client gets
 * 429 with `Retry-After` (one full period: the binding does not say when its window ends).
 * Which paths count and the client key are decided in ops_core.ts.
 */
export const readApiRateLimit = createMiddleware<{ Bindings: Env }>(async (c, next) => {
  const env = c.env as { READ_API_LIMITER?: RateLimit; RATE_LIMIT_READ_API?: string };
  if (!env.READ_API_LIMITER || !isRateLimited(c.req.path, env.RATE_LIMIT_READ_API)) return await next();
  const { success } = await env.READ_API_LIMITER.limit({
    key: rateLimitKey(c.req.header("cf-connecting-ip")),
  });
  if (!success) {
    c.header("Retry-After", String(READ_API_RATE_PERIOD_SECONDS));
    throw new HTTPException(429, {
      message: `Rate limit exceeded: retry after ${READ_API_RATE_PERIOD_SECONDS} s`,
    });
  }
  await next();
});

/**
 * 400 for requests no route should see (a repeated query parameter, a control character, an
 * overlong query; see ops_core.ts), before any route runs. `/iceberg` is left to the catalog,
 * which answers errors in the Iceberg REST ErrorModel.
 */
export const rejectMalformedRequest = createMiddleware<{ Bindings: Env }>(async (c, next) => {
  const url = new URL(c.req.url);
  const message = url.pathname.startsWith("/iceberg/") ? null : malformedRequestMessage(url);
  if (message) throw new HTTPException(400, { message });
  await next();
});
