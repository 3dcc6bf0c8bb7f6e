/**
 * `GET /metrics` against the real local bindings, parsed by an independent Prometheus text
 * parser: every DESIGN.md §6 family present, and the numbers are /api/health's.
 */
import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
// @ts-expect-error: the package ships no types
import parsePrometheusTextFormat from "parse-prometheus-text-format";

const asAny = (b: unknown): any => b;
const fetchApp = (path: string) =>
  (exports as any).default.fetch(new Request(`http://wikiflare.test${path}`));

describe("GET /metrics", () => {
  it("answers text format 0.0.4 with every wikiflare_ family, matching /api/health", async () => {
    const response = await fetchApp("/metrics");
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("text/plain; version=0.0.4; charset=utf-8");
    const text = await response.text();
    const health = await (await fetchApp("/api/health")).json().then(asAny);
    const families = new Map<string, any>(parsePrometheusTextFormat(text).map((f: any) => [f.name, f]));
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
    expect(text.match(/^# HELP /gm)?.length).toBe(9);
    expect(text.match(/^# TYPE /gm)?.length).toBe(9);
    const events = families.get("wikiflare_events_total");
    expect(Object.fromEntries(events.metrics.map((m: any) => [m.labels.stage, Number(m.value)]))).toEqual(
      health.events,
    );
    const commits = families.get("wikiflare_table_commits_total");
    expect(Object.fromEntries(commits.metrics.map((m: any) => [m.labels.table, Number(m.value)]))).toEqual(
      Object.fromEntries(Object.entries(health.tables).map(([t, v]: [string, any]) => [t, v.commits])),
    );
    expect(Number(families.get("wikiflare_dead_letters_total").metrics[0].value)).toBe(health.dead_lettered);
    const hist = families.get("wikiflare_commit_duration_seconds").metrics[0];
    const totalCommits = Object.values(health.tables).reduce((n: number, t: any) => n + t.commits, 0);
    expect(Number(hist.count)).toBeLessThanOrEqual(totalCommits);
    expect(Number(hist.buckets["+Inf"])).toBe(Number(hist.count));
  });
});
