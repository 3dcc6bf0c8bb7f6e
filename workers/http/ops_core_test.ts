import { describe, expect, it } from "vitest";
import {
  corsOrigin,
  isRateLimited,
  malformedRequestMessage,
  rateLimitKey,
  requestLogLine,
  shouldLogRequest,
  SLOW_REQUEST_MS,
} from "./ops_core.ts";

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

describe("shouldLogRequest()", () => {
  it('logs every request by default and under any value but "errors"', () => {
    for (const mode of [undefined, "all", "", "ERRORS"]) expect(shouldLogRequest(mode, 200, 3)).toBe(true);
  });

  it('under "errors" logs only status >= 400 and requests of SLOW_REQUEST_MS or more', () => {
    expect(shouldLogRequest("errors", 200, 3)).toBe(false);
    expect(shouldLogRequest("errors", 304, SLOW_REQUEST_MS - 1)).toBe(false);
    expect(shouldLogRequest("errors", 400, 1)).toBe(true);
    expect(shouldLogRequest("errors", 503, 1)).toBe(true);
    expect(shouldLogRequest("errors", 200, SLOW_REQUEST_MS)).toBe(true);
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

describe("malformedRequestMessage()", () => {
  const check = (u: string) => malformedRequestMessage(new URL(u, "http://w.test"));
  it("rejects repeated parameters, control characters and overlong queries; passes ordinary ones", () => {
    expect(check("/api/kpis?from=a&to=b&wiki=enwiki")).toBeNull();
    expect(check("/api/kpis")).toBeNull();
    expect(check("/api/kpis?limit=1&limit=2")).toBe(`"limit" must be given at most once`);
    expect(check("/api/kpis?wiki=a%00b")).toBe(`control character in query parameter "wiki"`);
    expect(check("/api/kpis?wiki=a%0D%0Ab")).toBe(`control character in query parameter "wiki"`);
    expect(check("/api/tables/a%00b/snapshots")).toBe("control character in the path");
    expect(check("/api/tables/%E0%A4%A/snapshots")).toBe("path is not valid percent-encoding");
    expect(check(`/api/kpis?wiki=${"a".repeat(4_100)}`)).toBe("query string longer than 4096 characters");
  });
});
