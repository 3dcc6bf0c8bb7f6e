/** Security headers, request ids and CORS on real responses of the app (local bindings). */
import { env } from "cloudflare:workers";
import { SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { app } from "./app.ts";

const PATHS: [string, string, number][] = [
  ["GET", "/api/health", 200],
  ["GET", "/metrics", 200],
  ["GET", "/api/tables", 200],
  ["GET", "/api/kpis/latest", 200], // answers shared among requests (shared_read_routes.ts)
  ["GET", "/api/kpis?from=2031-01-01T00:00:00Z&to=2031-01-01T01:00:00Z", 200],
  ["GET", "/api/events/recent?from=2031-01-01T00:00:00Z&to=2031-01-01T01:00:00Z", 200],
  ["GET", "/no/such/route", 404],
  ["POST", "/api/admin/ingest/stop", 401],
];

describe("operations middleware", () => {
  it.each(PATHS)("%s %s carries the security headers and a request id", async (method, path, status) => {
    const response = await app.request(path, { method }, env);
    expect(response.status).toBe(status);
    expect(response.headers.get("x-content-type-options")).toBe("nosniff");
    expect(response.headers.get("content-security-policy")).toMatch(/frame-ancestors 'none'/);
    expect(response.headers.get("content-security-policy")).toMatch(/default-src 'none'/);
    expect(response.headers.get("referrer-policy")).toBe("strict-origin-when-cross-origin");
    expect(response.headers.get("x-frame-options")).toBe("DENY");
    expect(response.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
  });

  // Through the Worker's front door. The dashboards (/ and /kpis) are static assets with
  // dist/assets/_headers, which this pool does not serve: test/e2e/ops_cli_test.ts checks them
  // on `wrangler dev`.
  it.each([
    ["/docs", "text/html"],
    ["/api/health", "application/json"],
  ])("%s (%s) carries CSP with frame-ancestors 'none', nosniff and Referrer-Policy", async (path, type) => {
    const response = await SELF.fetch(`http://wikiflare.test${path}`);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toContain(type);
    await response.arrayBuffer();
    const csp = response.headers.get("content-security-policy") ?? "";
    expect(csp).toMatch(/frame-ancestors 'none'/);
    expect(csp).toMatch(/default-src 'none'/); // nothing the Worker serves loads anything
    expect(response.headers.get("x-content-type-options")).toBe("nosniff");
    expect(response.headers.get("referrer-policy")).toBe("strict-origin-when-cross-origin");
  });

  it("uses cf-ray as the request id when Cloudflare sent one", async () => {
    const response = await app.request("/api/tables", { headers: { "cf-ray": "8f00aa11bb22cc33-AMS" } }, env);
    expect(response.headers.get("x-request-id")).toBe("8f00aa11bb22cc33-AMS");
  });

  it("answers CORS only for the origins in CORS_ORIGINS", async () => {
    const withCors = { ...env, CORS_ORIGINS: "https://dash.example" };
    const ok = await app.request("/api/tables", { headers: { origin: "https://dash.example" } }, withCors);
    expect(ok.headers.get("access-control-allow-origin")).toBe("https://dash.example");
    const other = await app.request("/api/tables", { headers: { origin: "https://evil.example" } }, withCors);
    expect(other.headers.get("access-control-allow-origin")).toBeNull();
    const unset = await app.request("/api/tables", { headers: { origin: "https://dash.example" } }, env);
    expect(unset.headers.get("access-control-allow-origin")).toBeNull();
  });
});
