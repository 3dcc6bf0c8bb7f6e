/**
 * The admin-token matrix over every admin route of the app (`app.routes` under /api/admin): 401
 * without a bearer token (or with another scheme), 403 with a wrong one (shorter, longer, same
 * length), 503 when no ADMIN_TOKEN is configured (never open), and success with the right one.
 * A new admin route without a success case below fails the suite.
 */
import { env } from "cloudflare:workers";
import { afterAll, describe, expect, it } from "vitest";
import { app } from "./app.ts";

/** The harmless request (query) that succeeds with the right token, per admin route. */
const SUCCESS: Record<string, string> = {
  "POST /api/admin/ingest/start": "?url=http%3A%2F%2F127.0.0.1%3A9%2Fstream", // nothing listens: backs off
  "POST /api/admin/ingest/stop": "",
  "POST /api/admin/correction": "?max_files=1",
  "POST /api/admin/reset": "?confirm=yes",
  "GET /api/admin/dead-letters": "?limit=1",
  "POST /api/admin/dead-letters/replay": "?limit=1",
  "POST /api/admin/maintenance": "?job=expire_snapshots&table=gold_wiki_kpis",
};

const adminRoutes = [
  ...new Set(
    app.routes.filter((r) => r.method !== "ALL" && r.path.startsWith("/api/admin")).map((r) =>
      `${r.method} ${r.path}`
    ),
  ),
];
const token = env.ADMIN_TOKEN as string;
const WRONG: [string, string][] = [
  ["a wrong token of the same length", "x".repeat(token.length)],
  ["a prefix of the token", token.slice(0, -1)],
  ["the token plus a character", `${token}x`],
];

const call = (route: string, headers: Record<string, string>, e: object = env) => {
  const [method, path] = route.split(" ");
  return app.request(`${path}${SUCCESS[route] ?? ""}`, { method, headers }, e);
};
const errorOf = async (response: Response) =>
  ((await response.json()) as { error: { status: number } }).error;

describe("admin token matrix", () => {
  afterAll(async () => {
    await call("POST /api/admin/ingest/stop", { Authorization: `Bearer ${token}` });
  });

  it("covers every admin route of the app", () => {
    expect(adminRoutes.length).toBeGreaterThanOrEqual(7);
    expect(adminRoutes.filter((r) => !(r in SUCCESS))).toEqual([]);
    expect(Object.keys(SUCCESS).filter((r) => !adminRoutes.includes(r))).toEqual([]);
  });

  for (const route of Object.keys(SUCCESS)) {
    it(`${route}: 401 without a token, 403 wrong, 503 unset, 200 with the right one`, async () => {
      const missing: Record<string, string>[] = [
        {},
        { Authorization: `Basic ${btoa(`admin:${token}`)}` },
        { Authorization: "Bearer" },
      ];
      for (const headers of missing) {
        const response = await call(route, headers);
        expect(response.status).toBe(401);
        expect(await errorOf(response)).toMatchObject({ status: 401 });
      }
      for (const [, wrong] of WRONG) {
        const response = await call(route, { Authorization: `Bearer ${wrong}` });
        expect(response.status).toBe(403);
        expect(await errorOf(response)).toMatchObject({ status: 403 });
      }
      for (const unset of [{ ...env, ADMIN_TOKEN: undefined }, { ...env, ADMIN_TOKEN: "" }]) {
        const response = await call(route, { Authorization: `Bearer ${token}` }, unset);
        expect(response.status).toBe(503);
        expect(await errorOf(response)).toMatchObject({ status: 503 });
      }
      const ok = await call(route, { Authorization: `Bearer ${token}` });
      expect(ok.status).toBe(200);
      expect(ok.headers.get("content-type")).toMatch(/application\/json/);
      await ok.arrayBuffer();
    });
  }
});
