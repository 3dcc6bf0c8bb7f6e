import { createMiddleware } from "hono/factory";
import { HTTPException } from "hono/http-exception";

/**
 * Bearer-token guard of the admin API: 503 when no ADMIN_TOKEN is configured (never open),
 * 401 without a bearer token, 403 for a wrong one. Compared in constant time.
 */
export const requireAdmin = createMiddleware<{ Bindings: Env }>(async (c, next) => {
  const expected = (c.env as { ADMIN_TOKEN?: string }).ADMIN_TOKEN;
  if (!expected) {
    throw new HTTPException(503, { message: "Admin API disabled: no ADMIN_TOKEN secret is configured" });
  }
  const header = c.req.header("Authorization") ?? "";
  const match = /^Bearer\s+(.+)$/i.exec(header);
  if (!match) {
    throw new HTTPException(401, { message: "Missing bearer token (Authorization: Bearer <ADMIN_TOKEN>)" });
  }
  if (!timingSafeEqual(match[1].trim(), expected)) {
    throw new HTTPException(403, { message: "Invalid admin token" });
  }
  await next();
});

/** Compares two strings in time that depends on their lengths only. */
export function timingSafeEqual(a: string, b: string): boolean {
  const x = new TextEncoder().encode(a);
  const y = new TextEncoder().encode(b);
  let diff = x.length ^ y.length;
  for (let i = 0; i < Math.max(x.length, y.length); i++) diff |= (x[i] ?? 0) ^ (y[i] ?? 0);
  return diff === 0;
}
