import { env, exports } from "cloudflare:workers";
import { describe, expect, inject, it } from "vitest";
import type { SilverRow } from "../../r2/tables/rows.ts";
import { admitToGold } from "../queue/ingest_messages.ts";

const BASE = "http://wikiflare.test";
const fetchApp = (path: string) => (exports as any).default.fetch(new Request(`${BASE}${path}`));

const iso = (ms: number) => new Date(ms).toISOString();
const fixture = inject("anomalies");

describe("GET /api/anomalies vs DuckDB over windows of testdata/synth-1000-seed7.jsonl rows", () => {
  it("answers exactly the signals DuckDB finds over the final windows, [from, to) by window_start", async () => {
    const rows = fixture.rows as unknown as SilverRow[];
    for (let i = 0; i < rows.length; i += 100) {
      await admitToGold(env, [{ owner: `anomalies-test:${i}`, rows: rows.slice(i, i + 100) }]);
    }
    const all = fixture.ranges[0]!;
    const finals = async () => {
      const body = await (await fetchApp(`/api/kpis?from=${iso(all.from)}&to=${iso(all.to)}`)).json() as {
        windows: Array<{ final: boolean }>;
      };
      return body.windows.filter((w) => w.final).length;
    };
    for (let i = 0; i < 200 && (await finals()) < fixture.finalWindows; i++) {
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(await finals()).toBe(fixture.finalWindows);
    // The fixture is built to raise both signals; without them this test would prove little.
    expect(fixture.expected[0]!.map((a) => a.signal).sort()).toEqual(["EDIT_SPIKE", "REVERT_WAVE"]);
    // … and to put the burst's window exactly at `from` (in) and exactly at `to` (out).
    expect(fixture.expected[1]!.map((a) => a.window_start)).toEqual([fixture.ranges[1]!.from]);
    expect(fixture.expected[2]!.map((a) => a.window_start)).not.toContain(fixture.ranges[2]!.to);
    for (const [i, range] of fixture.ranges.entries()) {
      const response = await fetchApp(`/api/anomalies?from=${iso(range.from)}&to=${iso(range.to)}`);
      expect(response.status).toBe(200);
      const body = await response.json() as {
        from: string;
        to: string;
        anomalies: Array<
          { window_start: string; signal: string; value: number; mean: number; stddev: number; z: number }
        >;
      };
      expect([body.from, body.to]).toEqual([iso(range.from), iso(range.to)]);
      const want = fixture.expected[i]!;
      expect(body.anomalies.map((a) => [a.window_start, a.signal, a.value])).toEqual(
        want.map((a) => [iso(a.window_start), a.signal, a.value]),
      );
      body.anomalies.forEach((a, j) => {
        expect(a.mean).toBeCloseTo(want[j]!.mean, 9);
        expect(a.stddev).toBeCloseTo(want[j]!.stddev, 9);
        expect(a.z).toBeCloseTo((want[j]!.value - want[j]!.mean) / want[j]!.stddev, 9);
      });
    }
  });
});

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
