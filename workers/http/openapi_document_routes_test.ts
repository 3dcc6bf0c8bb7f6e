import { env, exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { app } from "./app.ts";

const fetchApp = (path: string) =>
  (exports as any).default.fetch(new Request(`http://wikiflare.test${path}`));

describe("GET /api/openapi.json and /docs", () => {
  it("serves an OpenAPI 3.1 document of the schema-validated routes, with their parameters", async () => {
    const response = await fetchApp("/api/openapi.json");
    expect(response.status).toBe(200);
    const doc = await response.json() as any;
    expect(doc.openapi).toBe("3.1.0");
    for (
      const path of [
        "/api/events/timeseries",
        "/api/events/breakdown",
        "/api/events/top-pages",
        "/api/events/recent",
        "/api/anomalies",
      ]
    ) {
      expect(doc.paths[path]?.get, path).toBeDefined();
      expect(doc.paths[path].get.responses["400"], path).toBeDefined();
    }
    const breakdown = doc.paths["/api/events/breakdown"].get.parameters.map((p: any) => p.name).sort();
    expect(breakdown).toEqual(["by", "change_type", "edit_size", "from", "limit", "to", "user_type", "wiki"]);
  });

  // Table-driven from the app itself: a new /api route that is not documented fails here.
  const served = [
    ...new Set(
      app.routes.filter((r) => r.path.startsWith("/api/") && r.method !== "ALL" && !r.path.includes("*"))
        .map((r) => `${r.method} ${r.path.replace(/\/$/, "").replace(/:(\w+)/g, "{$1}")}`),
    ),
  ].sort();

  it("serves a list of /api routes to check (sanity: the old and the new ones)", () => {
    for (const known of ["GET /api/health", "GET /api/kpis", "POST /api/admin/reset", "GET /api/live"]) {
      expect(served).toContain(known);
    }
    expect(served.length).toBeGreaterThanOrEqual(19);
  });

  it.each(served)("documents %s", async (route) => {
    const [method, path] = route.split(" ") as [string, string];
    const doc = await (await fetchApp("/api/openapi.json")).json() as any;
    const op = doc.paths[path]?.[method.toLowerCase()];
    expect(op, route).toBeDefined();
    expect(op.responses["200"], route).toBeDefined();
    if (path.startsWith("/api/admin/")) {
      expect(op.security).toEqual([{ adminBearer: [] }]);
      for (const status of ["401", "403", "503"]) {
        expect(op.responses[status], `${route} ${status}`).toBeDefined();
      }
    }
    for (const p of op.parameters ?? []) expect(p.schema, `${route} ${p.name}`).toBeDefined();
  });

  it("declares the admin bearer scheme and documents no route the app does not serve", async () => {
    const doc = await (await fetchApp("/api/openapi.json")).json() as any;
    expect(doc.components.securitySchemes.adminBearer).toMatchObject({ type: "http", scheme: "bearer" });
    const documented = Object.entries(doc.paths as Record<string, Record<string, unknown>>)
      .flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`)).sort();
    expect(documented).toEqual(served);
  });

  it("validates the older routes with the documented schemas (repeated or bad parameters are 400s)", async () => {
    const auth = { Authorization: `Bearer ${env.ADMIN_TOKEN}` };
    const cases: Array<[string, RequestInit?]> = [
      ["/api/kpis?from=2026-01-01T00:00:00Z&from=2026-01-01T01:00:00Z"],
      ["/api/kpis?snapshot_id=12x"],
      ["/api/tables/..%2F..%2Fsecret/snapshots"],
      ["/api/admin/dead-letters?limit=0", { headers: auth }],
      ["/api/admin/maintenance?job=vacuum", { method: "POST", headers: auth }],
      ["/api/admin/correction?max_files=1001", { method: "POST", headers: auth }],
      ["/api/admin/reset?confirm=no", { method: "POST", headers: auth }],
      ["/api/admin/ingest/start?since=yesterday", { method: "POST", headers: auth }],
    ];
    for (const [path, init] of cases) {
      const response: Response = await (exports as any).default.fetch(
        new Request(`http://wikiflare.test${path}`, init),
      );
      expect(response.status, path).toBe(400);
      expect((await response.json() as any).error.status, path).toBe(400);
    }
    // the guard runs before validation: no token is a 401 even with a bad parameter
    const noToken: Response = await (exports as any).default.fetch(
      new Request("http://wikiflare.test/api/admin/reset?confirm=no", { method: "POST" }),
    );
    expect(noToken.status).toBe(401);
  });

  it("renders the same routes as an HTML page with no script", async () => {
    const response = await fetchApp("/docs");
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toContain("text/html");
    const html = await response.text();
    expect(html).toContain("GET /api/events/top-pages");
    expect(html).toContain("GET /api/anomalies");
    expect(html).not.toContain("<script");
  });
});
