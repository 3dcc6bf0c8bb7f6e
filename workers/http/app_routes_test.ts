import { env, exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { adminRoutes } from "./admin_routes.ts";

const asAny = (b: unknown): any => b;
const BASE = "http://wikiflare.test";
const fetchApp = (path: string, init?: RequestInit) =>
  (exports as any).default.fetch(new Request(`${BASE}${path}`, init));

describe("HTTP API", () => {
  it("GET /api/health answers the DESIGN.md §4 shape with reconciling event counts", async () => {
    const response = await fetchApp("/api/health");
    expect(response.status).toBe(200);
    const body = await response.json().then(asAny);
    expect(["ok", "degraded", "down"]).toContain(body.status);
    expect(body).toHaveProperty("watermark");
    for (const key of ["received", "canary", "bronze", "silver", "quarantine", "duplicate"]) {
      expect(typeof body.events[key]).toBe("number");
    }
    expect(body.ingestor).toHaveProperty("connected");
    expect(Object.keys(body.tables).sort()).toEqual([
      "bronze_wiki_events",
      "gold_wiki_kpis",
      "quarantine_wiki_events",
      "silver_wiki_events",
    ]);
  });

  it("GET /api/tables lists the four tables with their s3:// locations", async () => {
    const body = await (await fetchApp("/api/tables")).json().then(asAny);
    expect(body.tables.map((t: any) => t.name)).toEqual([
      "wiki.bronze_wiki_events",
      "wiki.silver_wiki_events",
      "wiki.quarantine_wiki_events",
      "wiki.gold_wiki_kpis",
    ]);
    expect(body.tables[1].location).toBe(
      `s3://${env.LAKE_BUCKET_NAME}/${env.WAREHOUSE}/wiki/silver_wiki_events`,
    );
  });

  it("answers unknown paths with a JSON 404", async () => {
    const response = await fetchApp("/api/nope");
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({ error: { status: 404, message: "No route for GET /api/nope" } });
  });

  it("rejects a bad KPI range with a clear 400", async () => {
    for (
      const query of [
        "from=yesterday&to=2026-01-01T00:00:00Z",
        "from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z",
        "from=2026-01-01T00:00:00Z&to=2026-03-01T00:00:00Z",
      ]
    ) {
      const response = await fetchApp(`/api/kpis?${query}`);
      expect(response.status).toBe(400);
      const body = await response.json().then(asAny);
      expect(body.error.status).toBe(400);
      expect(body.error.message.length).toBeGreaterThan(10);
    }
  });
});

describe("admin API guard", () => {
  it("answers 401 without a token and 403 with a wrong one", async () => {
    const none = await fetchApp("/api/admin/ingest/stop", { method: "POST" });
    expect(none.status).toBe(401);
    const wrong = await fetchApp("/api/admin/ingest/stop", {
      method: "POST",
      headers: { Authorization: "Bearer nope" },
    });
    expect(wrong.status).toBe(403);
    expect((await wrong.json().then(asAny)).error.message).toBe("Invalid admin token");
  });

  it("answers 503 when no ADMIN_TOKEN is configured: the admin API is never open", async () => {
    const response = await adminRoutes.request("/ingest/stop", {
      method: "POST",
      headers: { Authorization: "Bearer x" },
    }, {
      ...env,
      ADMIN_TOKEN: undefined,
    });
    expect(response.status).toBe(503);
  });

  it("refuses a reset without ?confirm=yes", async () => {
    const response = await fetchApp("/api/admin/reset", {
      method: "POST",
      headers: { Authorization: `Bearer ${env.ADMIN_TOKEN}` },
    });
    expect(response.status).toBe(400);
  });

  it("starts and stops ingestion with the right token, recording the wish in PipelineControl", async () => {
    const auth = { Authorization: `Bearer ${env.ADMIN_TOKEN}` };
    const started = await fetchApp("/api/admin/ingest/start?url=http%3A%2F%2F127.0.0.1%3A9%2Fstream", {
      method: "POST",
      headers: auth,
    });
    expect(started.status).toBe(200);
    const body = await started.json().then(asAny);
    expect(body.control.desired).toBe("running");
    expect(body.control.streamUrl).toBe("http://127.0.0.1:9/stream");
    const stopped = await (await fetchApp("/api/admin/ingest/stop", { method: "POST", headers: auth })).json()
      .then(asAny);
    expect(stopped.control.desired).toBe("stopped");
    expect(stopped.ingestor.running).toBe(false);
  });

  it("rejects a start URL that is not http(s)", async () => {
    const response = await fetchApp("/api/admin/ingest/start?url=file%3A%2F%2F%2Fetc%2Fpasswd", {
      method: "POST",
      headers: { Authorization: `Bearer ${env.ADMIN_TOKEN}` },
    });
    expect(response.status).toBe(400);
  });
});
