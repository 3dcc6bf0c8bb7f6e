/**
 * Pure core of `GET /metrics` (DESIGN.md §6): the Prometheus text exposition format 0.0.4, and
 * the `wikiflare_*` metric families built from the `/api/health` report. Counters come from
 * durable counts (Durable Object storage), so they are monotonic across restarts (a reset
 * starts them again, which Prometheus reads as a counter reset).
 */
import {
  COMMIT_DURATION_BUCKETS,
  type DurationHistogram,
} from "../durable-objects/table_committer/commit_duration.ts";

/** The content type of the text format. */
export const PROMETHEUS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

export type Labels = Record<string, string>;
/** One metric family: its samples carry their own suffix (`_bucket`, `_sum`, `_count`) when any. */
export interface MetricFamily {
  name: string;
  help: string;
  type: "counter" | "gauge" | "histogram";
  samples: { suffix?: string; labels?: Labels; value: number }[];
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** A sample value: integers as such, NaN and ±Inf spelled the way the format wants. */
function formatValue(v: number): string {
  if (Number.isNaN(v)) return "NaN";
  if (v === Infinity) return "+Inf";
  if (v === -Infinity) return "-Inf";
  return String(v);
}

const escapeLabel = (v: string) => v.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, '\\"');
const escapeHelp = (v: string) => v.replace(/\\/g, "\\\\").replace(/\n/g, "\\n");

/** Renders metric families in the text format 0.0.4 (# HELP, # TYPE, then the samples). */
export function formatPrometheus(families: MetricFamily[]): string {
  const lines: string[] = [];
  for (const f of families) {
    if (!NAME.test(f.name)) throw new RangeError(`invalid metric name ${JSON.stringify(f.name)}`);
    lines.push(`# HELP ${f.name} ${escapeHelp(f.help)}`, `# TYPE ${f.name} ${f.type}`);
    for (const s of f.samples) {
      const labels = Object.entries(s.labels ?? {});
      for (const [k] of labels) {
        if (!LABEL.test(k)) throw new RangeError(`invalid label name ${JSON.stringify(k)}`);
      }
      const rendered = labels.length
        ? `{${labels.map(([k, v]) => `${k}="${escapeLabel(v)}"`).join(",")}}`
        : "";
      lines.push(`${f.name}${s.suffix ?? ""}${rendered} ${formatValue(s.value)}`);
    }
  }
  return lines.join("\n") + "\n";
}

/** Histogram samples (cumulative buckets, `+Inf`, sum, count) for one label set. */
export function histogramSamples(h: DurationHistogram, labels: Labels = {}): MetricFamily["samples"] {
  let cumulative = 0;
  const out: MetricFamily["samples"] = COMMIT_DURATION_BUCKETS.map((le, i) => {
    cumulative += h.counts[i] ?? 0;
    return { suffix: "_bucket", labels: { ...labels, le: String(le) }, value: cumulative };
  });
  out.push({ suffix: "_bucket", labels: { ...labels, le: "+Inf" }, value: h.count });
  out.push({ suffix: "_sum", labels, value: h.sum }, { suffix: "_count", labels, value: h.count });
  return out;
}

/** Sums the tables' histograms (missing ones count as empty). */
export function mergeHistograms(all: (DurationHistogram | undefined)[]): DurationHistogram {
  return all.reduce<DurationHistogram>((acc, h) =>
    h
      ? {
        counts: acc.counts.map((n, i) => n + (h.counts[i] ?? 0)),
        sum: acc.sum + h.sum,
        count: acc.count + h.count,
      }
      : acc, { counts: COMMIT_DURATION_BUCKETS.map(() => 0), sum: 0, count: 0 });
}

/** The parts of the health report the metrics read. */
export interface MetricsInput {
  events: Record<"received" | "canary" | "bronze" | "silver" | "quarantine" | "duplicate", number>;
  watermark: string | null;
  ingestor: { connected: boolean; lag_seconds: number | null };
  dead_lettered: number;
  tables: Record<string, { rows: number; commits: number }>;
  /** Per table: data files committed and the commit-duration histogram (from TableStatus). */
  tableStatus: { table: string; data_files_committed: number; commit_duration?: DurationHistogram }[];
}

/** The `wikiflare_*` families of DESIGN.md §6. */
export function buildMetrics(m: MetricsInput): MetricFamily[] {
  const stages = ["received", "canary", "bronze", "silver", "quarantine", "duplicate"] as const;
  const tables = Object.keys(m.tables).sort();
  const watermark = m.watermark === null ? NaN : Date.parse(m.watermark) / 1000;
  const files = new Map(m.tableStatus.map((t) => [t.table, t]));
  return [
    {
      name: "wikiflare_events_total",
      help: "Events counted at each pipeline stage since the last reset (durable).",
      type: "counter",
      samples: stages.map((stage) => ({ labels: { stage }, value: m.events[stage] })),
    },
    {
      name: "wikiflare_ingestor_connected",
      help: "1 while the ingestor holds an open connection to the stream, else 0.",
      type: "gauge",
      samples: [{ value: m.ingestor.connected ? 1 : 0 }],
    },
    {
      name: "wikiflare_ingestor_lag_seconds",
      help: "Seconds between now and the event time of the last event read (NaN before any).",
      type: "gauge",
      samples: [{ value: m.ingestor.lag_seconds ?? NaN }],
    },
    {
      name: "wikiflare_watermark_seconds",
      help: "The event-time watermark as Unix seconds (NaN before any event).",
      type: "gauge",
      samples: [{ value: watermark }],
    },
    {
      name: "wikiflare_table_rows",
      help: "Rows committed to each Iceberg table.",
      type: "gauge",
      samples: tables.map((table) => ({ labels: { table }, value: m.tables[table]!.rows })),
    },
    {
      name: "wikiflare_table_data_files",
      help: "Data files committed to each Iceberg table.",
      type: "gauge",
      samples: tables.map((table) => ({
        labels: { table },
        value: files.get(table)?.data_files_committed ?? 0,
      })),
    },
    {
      name: "wikiflare_table_commits_total",
      help: "Iceberg commits made to each table (durable).",
      type: "counter",
      samples: tables.map((table) => ({ labels: { table }, value: m.tables[table]!.commits })),
    },
    {
      name: "wikiflare_dead_letters_total",
      help: "Queue messages ever dead-lettered (pending or replayed).",
      type: "counter",
      samples: [{ value: m.dead_lettered }],
    },
    {
      name: "wikiflare_commit_duration_seconds",
      help: "Duration of each Iceberg commit over all tables, data files to new snapshot (durable).",
      type: "histogram",
      samples: histogramSamples(mergeHistograms(m.tableStatus.map((t) => t.commit_duration))),
    },
  ];
}
