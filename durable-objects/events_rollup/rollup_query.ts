/**
 * Events rollup (core): the UTC day an event belongs to, the SQL of the drill-down queries over
 * one day's silver rows, and how the days' partial answers merge into one answer. Pure.
 * @module
 */
import type { SilverRow } from "../../r2/tables/rows.ts";

/** One UTC day in ms. */
export const DAY_MS = 86_400_000;

/** The rollup instance name of the day holding `ms`: `YYYY-MM-DD`. */
export function dayName(ms: number): string {
  return new Date(Math.floor(ms / DAY_MS) * DAY_MS).toISOString().slice(0, 10);
}

/** The day names that `[from, to)` touches, ascending. */
export function daysOf(from: number, to: number): string[] {
  const days: string[] = [];
  for (let d = Math.floor(from / DAY_MS); d <= Math.floor((to - 1) / DAY_MS); d++) {
    days.push(dayName(d * DAY_MS));
  }
  return days;
}

/** Groups rows by their event day. */
export function rowsByDay(rows: readonly SilverRow[]): Map<string, SilverRow[]> {
  const byDay = new Map<string, SilverRow[]>();
  for (const row of rows) {
    const day = dayName(row.event_time);
    const list = byDay.get(day);
    if (list) list.push(row);
    else byDay.set(day, [row]);
  }
  return byDay;
}

/** The filters a query applies (validated upstream). */
export interface RollupFilters {
  wiki?: string;
  user_type?: string;
  edit_size?: string;
  change_type?: string;
}

/** A query over one day: range in ms plus filters. */
export interface RollupRange {
  from: number;
  to: number;
  filters: RollupFilters;
}

const FILTER_COLUMNS = ["wiki", "user_type", "edit_size", "change_type"] as const;
/** Columns a breakdown may group by (never raw input). */
export const GROUP_COLUMNS = ["user_type", "edit_size", "change_type", "wiki"] as const;
export type GroupColumn = (typeof GROUP_COLUMNS)[number];

/** `WHERE` clause and its bindings for a range and filters. */
export function whereOf(q: RollupRange): { sql: string; args: Array<string | number> } {
  const parts = ["event_time >= ?", "event_time < ?"];
  const args: Array<string | number> = [q.from, q.to];
  for (const column of FILTER_COLUMNS) {
    const value = q.filters[column];
    if (value === undefined) continue;
    parts.push(`${column} = ?`);
    args.push(value);
  }
  return { sql: parts.join(" AND "), args };
}

/** A bucket's counts (t = bucket start, ms). */
export interface BucketCount {
  t: number;
  events: number;
  bot: number;
}

/** Every bucket start of `[from, to)` aligned to `bucketMs` from the epoch, with zeros filled. */
export function fillBuckets(from: number, to: number, bucketMs: number, counts: readonly BucketCount[]) {
  const byT = new Map<number, BucketCount>();
  for (const c of counts) {
    const prev = byT.get(c.t);
    byT.set(c.t, prev ? { t: c.t, events: prev.events + c.events, bot: prev.bot + c.bot } : c);
  }
  const points: Array<{ t: number; events: number; bot: number; human: number }> = [];
  for (let t = Math.floor(from / bucketMs) * bucketMs; t < to; t += bucketMs) {
    const c = byT.get(t);
    points.push({ t, events: c?.events ?? 0, bot: c?.bot ?? 0, human: (c?.events ?? 0) - (c?.bot ?? 0) });
  }
  return points;
}

/** Sums keyed counts across days; ordered by count desc, then key asc (code-unit order); first `limit`. */
export function mergeCounts(
  parts: ReadonlyArray<ReadonlyArray<{ key: string; events: number }>>,
  limit: number,
) {
  const sums = new Map<string, number>();
  for (const part of parts) for (const { key, events } of part) sums.set(key, (sums.get(key) ?? 0) + events);
  return [...sums].map(([key, events]) => ({ key, events }))
    .sort((a, b) => b.events - a.events || compare(a.key, b.key))
    .slice(0, limit);
}

/** A page's edits in a range. */
export interface PageCount {
  wiki: string;
  page_title: string;
  server_name: string | null;
  edits: number;
}

/** Sums page counts across days; ordered by edits desc, wiki asc, page_title asc; first `limit`. */
export function mergePages(parts: ReadonlyArray<ReadonlyArray<PageCount>>, limit: number): PageCount[] {
  const sums = new Map<string, PageCount>();
  for (const part of parts) {
    for (const p of part) {
      const key = JSON.stringify([p.wiki, p.page_title]);
      const prev = sums.get(key);
      sums.set(
        key,
        prev ? { ...prev, server_name: prev.server_name ?? p.server_name, edits: prev.edits + p.edits } : p,
      );
    }
  }
  return [...sums.values()]
    .sort((a, b) => b.edits - a.edits || compare(a.wiki, b.wiki) || compare(a.page_title, b.page_title))
    .slice(0, limit);
}

/** Newest `limit` rows across days: event_time desc, ties by event_id asc. */
export function mergeRecent(parts: ReadonlyArray<ReadonlyArray<SilverRow>>, limit: number): SilverRow[] {
  return parts.flat().sort((a, b) => b.event_time - a.event_time || compare(a.event_id, b.event_id)).slice(
    0,
    limit,
  );
}

/**
 * `https://<server_name>/wiki/<title, spaces as _, percent-encoded>`: every byte outside the
 * RFC 3986 unreserved set (`A-Z a-z 0-9 - _ . ~`) is percent-encoded as UTF-8.
 */
export function pageUrl(serverName: string | null, wiki: string, title: string): string {
  const host = serverName ?? `${wiki}.invalid`;
  const path = encodeURIComponent(title.replaceAll(" ", "_"))
    .replace(/[!'()*]/g, (ch) => `%${ch.charCodeAt(0).toString(16).toUpperCase()}`);
  return `https://${host}/wiki/${path}`;
}

/** Binary (code-unit) string order, the order of SQL `ORDER BY` over text. */
function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** One piece of a range, served by raw rows (`unit` null) or by aggregates of `unit` ms blocks. */
export interface RangeSegment {
  unit: number | null;
  from: number;
  to: number;
}

/**
 * Splits `[from, to)` into whole blocks of the largest unit that fit (then of the next unit, …)
 * and raw rows at the edges, so an aggregate table of each unit answers the middle exactly.
 * `units` in descending order, each a multiple of the next.
 */
export function planSegments(from: number, to: number, units: readonly number[]): RangeSegment[] {
  if (from >= to) return [];
  const [unit, ...smaller] = units;
  if (unit === undefined) return [{ unit: null, from, to }];
  const a = Math.ceil(from / unit) * unit;
  const b = Math.floor(to / unit) * unit;
  if (a >= b) return planSegments(from, to, smaller);
  return [...planSegments(from, a, smaller), { unit, from: a, to: b }, ...planSegments(b, to, smaller)];
}

/** `WHERE` over an aggregate table (`t` = block start) for one segment and the filters. */
export function whereOfBlocks(
  seg: RangeSegment,
  filters: RollupFilters,
): { sql: string; args: Array<string | number> } {
  const w = whereOf({ from: seg.from, to: seg.to, filters });
  return { sql: w.sql.replaceAll("event_time", "t"), args: w.args };
}

/** A segment with a sign: `1` counts its rows, `-1` takes them away again. */
export interface SignedSegment extends RangeSegment {
  sign: 1 | -1;
}

/**
 * Like `planSegments` with one aggregate unit, but an edge piece of `[from, to)` that covers more
 * than half of its block is served as the whole block minus the raw rows of the block outside
 * the range (signed), so at most half a block of raw rows is read per edge instead of up to a
 * whole one: a one-hour range reads on average 30 minutes of raw rows instead of 60. The signed
 * sum over the segments counts every row of `[from, to)` once and no other row.
 */
export function planSignedSegments(from: number, to: number, unit: number): SignedSegment[] {
  if (from >= to) return [];
  const raw = (a: number, b: number, sign: 1 | -1): SignedSegment[] =>
    a < b ? [{ unit: null, from: a, to: b, sign }] : [];
  const block = (start: number): SignedSegment => ({ unit, from: start, to: start + unit, sign: 1 });
  const a = Math.ceil(from / unit) * unit;
  const b = Math.floor(to / unit) * unit;
  if (a > b) { // inside one block
    const start = a - unit;
    return unit - (to - from) < to - from
      ? [block(start), ...raw(start, from, -1), ...raw(to, start + unit, -1)]
      : raw(from, to, 1);
  }
  const head = a - from <= from - (a - unit)
    ? raw(from, a, 1)
    : [block(a - unit), ...raw(a - unit, from, -1)];
  const middle: SignedSegment[] = b > a ? [{ unit, from: a, to: b, sign: 1 }] : [];
  const tail = to - b <= b + unit - to ? raw(b, to, 1) : [block(b), ...raw(to, b + unit, -1)];
  return [...head, ...middle, ...tail];
}
