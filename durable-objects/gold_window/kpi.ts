/**
 * Gold KPIs (core): 5-minute tumbling event-time windows and the formulas of DESIGN.md §3
 * gold_wiki_kpis. Times are epoch ms, UTC.
 * @module
 */
import type { GoldRow, SilverRow } from "../../r2/tables/rows.ts";

/** Width of a window: 5 minutes. */
export const WINDOW_MS = 300_000;

/** Exact aggregates of one window, the inputs of `computeKpis`. */
export interface KpiAggregate {
  window_start: number;
  total_edits: number;
  unique_editors: number;
  active_pages: number;
  bot_edits: number;
  net_bytes_added: number;
  large_edits_count: number;
  revert_like_edits: number;
  volatility_score: number;
}

/** Start of the window holding `eventTimeMs`: floored to 5 minutes, also before 1970. */
export function windowStartOf(eventTimeMs: number): number {
  if (!Number.isFinite(eventTimeMs)) throw new RangeError(`event time must be finite, got ${eventTimeMs}`);
  const start = eventTimeMs - (((eventTimeMs % WINDOW_MS) + WINDOW_MS) % WINDOW_MS);
  return start + 0; // never -0
}

/** The GoldWindow instance name of the window starting at `startMs`: its ISO-8601 UTC start. */
export function windowName(startMs: number): string {
  assertWindowStart(startMs);
  return new Date(startMs).toISOString();
}

/** The 15 gold columns of one window from its aggregates; RangeError for an empty window. */
export function computeKpis(agg: KpiAggregate): GoldRow {
  assertWindowStart(agg.window_start);
  const total = agg.total_edits;
  if (!Number.isSafeInteger(total) || total < 1) {
    throw new RangeError(`A window needs at least one edit, got total_edits ${total}`);
  }
  const net = agg.net_bytes_added;
  return {
    window_start: agg.window_start,
    window_end: agg.window_start + WINDOW_MS,
    total_edits: total,
    unique_editors: agg.unique_editors,
    active_pages: agg.active_pages,
    bot_edits: agg.bot_edits,
    human_edits: total - agg.bot_edits,
    net_bytes_added: net,
    avg_bytes_per_edit: net / total,
    large_edits_count: agg.large_edits_count,
    revert_like_edits: agg.revert_like_edits,
    volatility_score: agg.volatility_score,
    bot_edit_percentage: (100 * agg.bot_edits) / total,
    edits_per_minute: total / 5,
    knowledge_trend: net > 0 ? "GROWING" : net < 0 ? "SHRINKING" : "STABLE",
  };
}

/**
 * Reference implementation: the gold rows of `rows` (distinct silver rows), one per window
 * that has rows, ordered by window_start. Distinct counts are exact.
 */
export function kpisFromRows(rows: readonly SilverRow[]): GoldRow[] {
  const windows = new Map<number, { agg: KpiAggregate; users: Set<string>; pages: Set<string> }>();
  for (const row of rows) {
    const start = windowStartOf(row.event_time);
    let w = windows.get(start);
    if (!w) {
      w = { agg: emptyAggregate(start), users: new Set(), pages: new Set() };
      windows.set(start, w);
    }
    const diff = row.bytes_diff;
    w.users.add(row.user_name);
    w.pages.add(JSON.stringify([row.wiki, row.page_title]));
    w.agg.total_edits++;
    if (row.is_bot) w.agg.bot_edits++;
    w.agg.net_bytes_added += diff;
    if (diff > 500) w.agg.large_edits_count++;
    if (diff < -500) w.agg.revert_like_edits++;
    w.agg.volatility_score += Math.abs(diff);
  }
  return [...windows.values()]
    .map((w) => computeKpis({ ...w.agg, unique_editors: w.users.size, active_pages: w.pages.size }))
    .sort((a, b) => a.window_start - b.window_start);
}

function emptyAggregate(windowStart: number): KpiAggregate {
  return {
    window_start: windowStart,
    total_edits: 0,
    unique_editors: 0,
    active_pages: 0,
    bot_edits: 0,
    net_bytes_added: 0,
    large_edits_count: 0,
    revert_like_edits: 0,
    volatility_score: 0,
  };
}

function assertWindowStart(startMs: number): void {
  if (!Number.isSafeInteger(startMs) || windowStartOf(startMs) !== startMs) {
    throw new RangeError(`${startMs} is not the start of a 5-minute window`);
  }
}
