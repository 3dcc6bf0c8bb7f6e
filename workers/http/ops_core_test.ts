import { describe, expect, it } from "vitest";
import { corsOrigin, requestLogLine } from "./ops_core.ts";

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
