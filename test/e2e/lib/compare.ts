/**
 * Row-set comparison that reports what differs (missing, extra, repeated keys, unequal
 * columns) instead of one giant diff. Values compare with `===` after numbers are normalised.
 */
import type { GoldWindow } from "./recompute.ts";

/** The 15 columns of gold_wiki_kpis. */
export const GOLD_COLUMNS: readonly (keyof GoldWindow)[] = [
  "window_start",
  "window_end",
  "total_edits",
  "unique_editors",
  "active_pages",
  "bot_edits",
  "human_edits",
  "net_bytes_added",
  "avg_bytes_per_edit",
  "large_edits_count",
  "revert_like_edits",
  "volatility_score",
  "bot_edit_percentage",
  "edits_per_minute",
  "knowledge_trend",
];

/** The silver columns that do not depend on when the pipeline ran. */
export const SILVER_COLUMNS: readonly string[] = [
  "event_id",
  "event_time",
  "wiki",
  "server_name",
  "page_title",
  "namespace",
  "change_type",
  "user_name",
  "is_bot",
  "is_minor",
  "bytes_diff",
  "edit_size",
  "user_type",
  "comment",
  "revision_new",
];

/** One difference between two row sets. */
export interface RowDiff {
  key: unknown;
  problem: "missing" | "extra" | "repeated" | "unequal";
  column?: string;
  got?: unknown;
  want?: unknown;
}

const norm = (v: unknown) => (typeof v === "bigint" ? Number(v) : v === undefined ? null : v);

/** Differences between `got` and `want`, matched by `key`, over `columns`. */
export function diffByKey(
  got: readonly Record<string, unknown>[] | readonly object[],
  want: readonly Record<string, unknown>[] | readonly object[],
  key: string,
  columns: readonly string[],
): RowDiff[] {
  const index = (rows: readonly object[]) => {
    const map = new Map<unknown, Record<string, unknown>>();
    const repeated: unknown[] = [];
    for (const r of rows as Record<string, unknown>[]) {
      const k = norm(r[key]);
      if (map.has(k)) repeated.push(k);
      map.set(k, r);
    }
    return { map, repeated };
  };
  const g = index(got);
  const w = index(want);
  const out: RowDiff[] = g.repeated.map((k) => ({ key: k, problem: "repeated" as const }));
  for (const [k, wr] of w.map) {
    const gr = g.map.get(k);
    if (!gr) {
      out.push({ key: k, problem: "missing" });
      continue;
    }
    for (const c of columns) {
      if (norm(gr[c]) !== norm(wr[c])) {
        out.push({ key: k, problem: "unequal", column: c, got: gr[c], want: wr[c] });
      }
    }
  }
  for (const k of g.map.keys()) if (!w.map.has(k)) out.push({ key: k, problem: "extra" });
  return out;
}

/** An /api/kpis window (ISO times) as a GoldWindow (epoch ms), dropping `final` and extras. */
export function toGoldWindow(w: Record<string, unknown>): GoldWindow {
  const out: Record<string, unknown> = {};
  for (const c of GOLD_COLUMNS) {
    const v = w[c];
    out[c] = (c === "window_start" || c === "window_end") && typeof v === "string" ? Date.parse(v) : v;
  }
  return out as unknown as GoldWindow;
}
