import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";

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
