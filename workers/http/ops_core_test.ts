import { describe, expect, it } from "vitest";
import { corsOrigin, isRateLimited, rateLimitKey, requestLogLine } from "./ops_core.ts";

describe("corsOrigin()", () => {
  it("allows only the configured origins, exactly; * allows any; unset allows none", () => {
    const list = "https://a.example, https://b.example";
    expect(corsOrigin("https://a.example", list)).toBe("https://a.example");
    expect(corsOrigin("https://b.example", list)).toBe("https://b.example");
    expect(corsOrigin("https://a.example.evil", list)).toBeNull();
    expect(corsOrigin("", list)).toBeNull();
    expect(corsOrigin("https://x.example", "*")).toBe("*");
    expect(corsOrigin("https://a.example", undefined)).toBeNull();
    expect(corsOrigin("https://a.example", "")).toBeNull();
  });
});

describe("requestLogLine()", () => {
  it("names the request id and the outcome", () => {
    expect(requestLogLine({ requestId: "r1", method: "GET", path: "/api/health", status: 200, ms: 3 }))
      .toEqual({
        msg: "request",
        request_id: "r1",
        method: "GET",
        path: "/api/health",
        status: 200,
        ms: 3,
      });
  });
});

describe("isRateLimited()", () => {
  it("limits the read API, never health, admin, metrics, the catalog or the pages; off switches it off", () => {
    for (const path of ["/api/kpis", "/api/events/recent", "/api/tables/x/snapshots", "/api/live"]) {
      expect(isRateLimited(path, "on")).toBe(true);
      expect(isRateLimited(path, undefined)).toBe(true);
      expect(isRateLimited(path, "off")).toBe(false);
      expect(isRateLimited(path, " OFF ")).toBe(false);
    }
    for (
      const path of [
        "/api/health",
        "/api/admin",
        "/api/admin/ingest/stop",
        "/metrics",
        "/iceberg/v1/config",
        "/",
      ]
    ) {
      expect(isRateLimited(path, "on")).toBe(false);
    }
  });
});

describe("rateLimitKey()", () => {
  it("keys by cf-connecting-ip; a missing or malformed one falls back to the shared key", () => {
    expect(rateLimitKey("203.0.113.7")).toBe("ip:203.0.113.7");
    expect(rateLimitKey("2001:db8::1")).toBe("ip:2001:db8::1");
    expect(rateLimitKey(undefined)).toBe("client:unknown");
    expect(rateLimitKey("")).toBe("client:unknown");
    expect(rateLimitKey("1.2.3.4, 5.6.7.8")).toBe("client:unknown");
    expect(rateLimitKey("x".repeat(100))).toBe("client:unknown");
  });
});
