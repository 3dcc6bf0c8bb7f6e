/**
 * The read API's per-client rate limit on the local emulation of the Workers rate-limiting
 * binding (READ_API_LIMITER, 600 per 60 s in wrangler.toml): the 601st request of a client in one
 * window is a 429 with Retry-After and the JSON error shape; other clients, /api/health and the
 * admin API are not limited. The workerd project runs with RATE_LIMIT_READ_API=off (other suites
 * share one client key), so these requests turn it on.
 */
import { env } from "cloudflare:workers";
import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import { app } from "./app.ts";

const LIMIT = 600; // [[ratelimits]] simple.limit in wrangler.toml
const limitedEnv = { ...env, RATE_LIMIT_READ_API: "on" };
const get = (path: string, ip: string, e: object = limitedEnv, init: RequestInit = {}) =>
  app.request(path, { ...init, headers: { "cf-connecting-ip": ip, ...init.headers } }, e);

describe("read API rate limit", () => {
  it("answers the 601st request of one client in a window with 429, Retry-After and the error shape", async () => {
    // The emulation's windows are aligned to the wall clock: start early in one, so that the
    // requests below fall into a single window.
    const intoWindow = Date.now() % 60_000;
    if (intoWindow > 30_000) await sleep(60_000 - intoWindow + 100);
    const ip = `198.51.100.${1 + Math.floor(Math.random() * 250)}`;
    let ok = 0;
    for (let i = 0; i < LIMIT; i++) {
      const response = await get("/api/tables", ip);
      if (response.status === 200) ok++;
      await response.arrayBuffer();
    }
    expect(ok).toBe(LIMIT);
    const limited = await get("/api/tables", ip);
    expect(limited.status).toBe(429);
    expect(limited.headers.get("retry-after")).toBe("60");
    expect(limited.headers.get("x-content-type-options")).toBe("nosniff");
    expect(await limited.json()).toEqual({
      error: { status: 429, message: "Rate limit exceeded: retry after 60 s" },
    });
    expect((await get("/api/events/recent", ip)).status).toBe(429); // every read route shares the budget

    // Deliberately not limited: health (monitors), the admin API (token-guarded), /metrics.
    expect((await get("/api/health", ip)).status).toBe(200);
    expect((await get("/metrics", ip)).status).toBe(200);
    expect((await get("/api/admin/ingest/stop", ip, limitedEnv, { method: "POST" })).status).toBe(401);
    // Another client has its own budget; RATE_LIMIT_READ_API=off lifts the limit.
    expect((await get("/api/tables", "198.51.100.251")).status).toBe(200);
    expect((await get("/api/tables", ip, { ...env, RATE_LIMIT_READ_API: "off" })).status).toBe(200);
  });
});
