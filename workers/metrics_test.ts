import { describe, expect, it } from "vitest";
// @ts-expect-error: the package ships no types; an independent parser of the text format
import parsePrometheusTextFormat from "parse-prometheus-text-format";
import { buildMetrics, formatPrometheus, type MetricsInput } from "./metrics.ts";
import { emptyHistogram, observe } from "../durable-objects/table_committer/commit_duration.ts";

interface Parsed {
  name: string;
  help: string;
  type: string;
  metrics: {
    value?: string;
    labels?: Record<string, string>;
    buckets?: Record<string, string>;
    count?: string;
    sum?: string;
  }[];
}
const parse = (text: string): Parsed[] => parsePrometheusTextFormat(text);

const input: MetricsInput = {
  events: { received: 110, canary: 10, bronze: 100, silver: 90, quarantine: 7, duplicate: 3 },
  watermark: "2026-01-01T00:00:00.000Z",
  ingestor: { connected: true, lag_seconds: 4.5 },
  dead_lettered: 2,
  tables: { bronze_wiki_events: { rows: 100, commits: 4 }, silver_wiki_events: { rows: 90, commits: 3 } },
  tableStatus: [
    {
      table: "bronze_wiki_events",
      data_files_committed: 8,
      commit_duration: observe(observe(emptyHistogram(), 0.07), 3),
    },
    { table: "silver_wiki_events", data_files_committed: 6, commit_duration: observe(emptyHistogram(), 120) },
    { table: "gold_wiki_kpis", data_files_committed: 0 },
  ],
};

describe("formatPrometheus(buildMetrics())", () => {
  it("parses with an independent parser into every DESIGN.md §6 family with HELP and TYPE", () => {
    const families = new Map(parse(formatPrometheus(buildMetrics(input))).map((f) => [f.name, f]));
    expect([...families.keys()].sort()).toEqual([
      "wikiflare_commit_duration_seconds",
      "wikiflare_dead_letters_total",
      "wikiflare_events_total",
      "wikiflare_ingestor_connected",
      "wikiflare_ingestor_lag_seconds",
      "wikiflare_table_commits_total",
      "wikiflare_table_data_files",
      "wikiflare_table_rows",
      "wikiflare_watermark_seconds",
    ]);
    for (const f of families.values()) expect(f.help.length).toBeGreaterThan(10);
    const events = families.get("wikiflare_events_total")!;
    expect(events.type).toBe("COUNTER");
    expect(Object.fromEntries(events.metrics.map((m) => [m.labels!.stage, Number(m.value)]))).toEqual(
      input.events,
    );
    expect(Number(families.get("wikiflare_watermark_seconds")!.metrics[0]!.value)).toBe(1767225600);
    expect(Number(families.get("wikiflare_ingestor_lag_seconds")!.metrics[0]!.value)).toBe(4.5);
    expect(families.get("wikiflare_table_data_files")!.metrics.map((m) => [m.labels!.table, m.value]))
      .toEqual([
        ["bronze_wiki_events", "8"],
        ["silver_wiki_events", "6"],
      ]);
    const hist = families.get("wikiflare_commit_duration_seconds")!;
    expect(hist.type).toBe("HISTOGRAM");
    expect(hist.metrics.length).toBe(1);
    const all = hist.metrics[0]!;
    // Three commits over the tables: 0.07 s (le=0.1 and up), 3 s (le=5 and up), 120 s (+Inf only).
    expect(all.buckets).toMatchObject({
      "0.05": "0",
      "0.1": "1",
      "2.5": "1",
      "5": "2",
      "60": "2",
      "+Inf": "3",
    });
    expect([Number(all.count), Number(all.sum)]).toEqual([3, 123.07]);
  });

  it("spells unknown gauges NaN and escapes label values", () => {
    const text = formatPrometheus([
      {
        name: "wikiflare_x",
        help: "a\nb",
        type: "gauge",
        samples: [{ labels: { v: 'q"\\\n' }, value: NaN }],
      },
    ]);
    expect(text).toBe(
      '# HELP wikiflare_x a\\nb\n# TYPE wikiflare_x gauge\nwikiflare_x{v="q\\"\\\\\\n"} NaN\n',
    );
    expect(parse(text)[0]!.metrics[0]!.labels).toEqual({ v: 'q"\\\n' });
  });

  it("refuses invalid metric and label names", () => {
    expect(() => formatPrometheus([{ name: "bad-name", help: "h", type: "gauge", samples: [] }])).toThrow(
      RangeError,
    );
    expect(() =>
      formatPrometheus([{
        name: "ok",
        help: "h",
        type: "gauge",
        samples: [{ labels: { "1x": "" }, value: 1 }],
      }])
    )
      .toThrow(RangeError);
  });
});
