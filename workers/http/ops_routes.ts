/**
 * Shell middleware of operations (issue 14): one structured JSON log line per request carrying a
 * request id (`cf-ray` when Cloudflare sent one, else a fresh UUID, echoed as `X-Request-Id`),
 * security headers on every response, and CORS for the read API from the `CORS_ORIGINS` var.
 */
import { createMiddleware } from "hono/factory";
import { secureHeaders } from "hono/secure-headers";
import { cors } from "hono/cors";
import { corsOrigin, requestLogLine } from "./ops_core.ts";

/** Logs `{"msg":"request","request_id",...}` once the response is known. */
export const requestLog = createMiddleware<{ Bindings: Env }>(async (c, next) => {
  const began = Date.now();
  const requestId = c.req.header("cf-ray") ?? crypto.randomUUID();
  c.header("X-Request-Id", requestId);
  await next();
  console.log(JSON.stringify(requestLogLine({
    requestId,
    method: c.req.method,
    path: new URL(c.req.url).pathname,
    status: c.res.status,
    ms: Date.now() - began,
  })));
});

/**
 * nosniff, Referrer-Policy, X-Frame-Options and a CSP that forbids framing, plugins and `<base>`
 * hijacking on every response (it leaves script/style sources to the pages themselves).
 */
export const securityHeaders = secureHeaders({
  contentSecurityPolicy: { frameAncestors: ["'none'"], objectSrc: ["'none'"], baseUri: ["'none'"] },
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
