import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";

const BASE = "http://wikiflare.test";
const fetchApp = (path: string) => (exports as any).default.fetch(new Request(`${BASE}${path}`));

describe("GET /api/anomalies", () => {
  it("answers the signals of the range with its echo (none over an empty range)", async () => {
    const response = await fetchApp("/api/anomalies?from=2040-01-01T00:00:00Z&to=2040-01-01T06:00:00Z");
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      from: "2040-01-01T00:00:00.000Z",
      to: "2040-01-01T06:00:00.000Z",
      filters: {},
      anomalies: [],
    });
  });

  it.each([
    ["from after to", "from=2040-01-02T00:00:00Z&to=2040-01-01T00:00:00Z"],
    ["a range over 168 h", "from=2040-01-01T00:00:00Z&to=2040-01-09T00:00:00Z"],
    ["a time without a zone", "from=2040-01-01T00:00:00&to=2040-01-01T06:00:00Z"],
    ["a repeated parameter", "from=2040-01-01T00:00:00Z&from=2040-01-01T01:00:00Z&to=2040-01-01T06:00:00Z"],
  ])("refuses %s with a JSON 400", async (_name, query) => {
    const response = await fetchApp(`/api/anomalies?${query}`);
    expect(response.status).toBe(400);
    const body = await response.json() as { error: { status: number; message: string } };
    expect(body.error.status).toBe(400);
    expect(body.error.message.length).toBeGreaterThan(0);
  });
});
