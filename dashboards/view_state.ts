/**
 * The dashboards' view state that lives in the URL: time range and filters, with the API's
 * parameter names (DESIGN.md §6). Pure: no DOM, no clock (the anchor time is an argument).
 * @module
 */
import type { Bucket, ChangeType, EditSize, FiltersT, UserType } from "../workers/http/api_schemas.ts";

/** Rolling presets (`range=`), anchored at the newest data (or now). */
export const PRESETS = {
  "15m": 900_000,
  "1h": 3_600_000,
  "6h": 21_600_000,
  "24h": 86_400_000,
  "7d": 604_800_000,
};
/** A preset's name. */
export type Preset = keyof typeof PRESETS;
/** The default preset when the URL names no range. */
export const DEFAULT_PRESET: Preset = "1h";

const USER_TYPES: readonly UserType[] = ["BOT", "REGISTERED", "ANONYMOUS"];
const EDIT_SIZES: readonly EditSize[] = ["LARGE", "SMALL", "LARGE_REMOVAL"];
const CHANGE_TYPES: readonly ChangeType[] = ["edit", "new", "log", "categorize", "external"];
const WIKI = /^[a-z0-9_]{1,64}$/;
const MAX_RANGE_MS = 168 * 3_600_000;

/** A range: a rolling preset or fixed `[from, to)` in epoch ms. */
export type RangeChoice = { kind: "preset"; preset: Preset } | { kind: "custom"; from: number; to: number };

/** What a page shows: the range and the four filters. */
export interface ViewState {
  range: RangeChoice;
  filters: FiltersT;
}

function pick<T extends string>(values: readonly T[], v: string | null): T | undefined {
  return v !== null && (values as readonly string[]).includes(v) ? v as T : undefined;
}

/** Reads a view from a URL query; an invalid value is dropped, never an error. */
export function parseViewState(search: string): ViewState {
  const q = new URLSearchParams(search);
  const filters: FiltersT = {};
  const wiki = q.get("wiki");
  if (wiki !== null && WIKI.test(wiki)) filters.wiki = wiki;
  const userType = pick(USER_TYPES, q.get("user_type"));
  if (userType) filters.user_type = userType;
  const editSize = pick(EDIT_SIZES, q.get("edit_size"));
  if (editSize) filters.edit_size = editSize;
  const changeType = pick(CHANGE_TYPES, q.get("change_type"));
  if (changeType) filters.change_type = changeType;
  const from = Date.parse(q.get("from") ?? "");
  const to = Date.parse(q.get("to") ?? "");
  if (Number.isFinite(from) && Number.isFinite(to) && from < to && to - from <= MAX_RANGE_MS) {
    return { range: { kind: "custom", from, to }, filters };
  }
  const preset = q.get("range");
  const range: RangeChoice = preset !== null && preset in PRESETS
    ? { kind: "preset", preset: preset as Preset }
    : { kind: "preset", preset: DEFAULT_PRESET };
  return { range, filters };
}

/** Writes a view as a URL query (`range=` for a preset unless it is the default; filters by name). */
export function formatViewState(state: ViewState): string {
  const q = new URLSearchParams();
  if (state.range.kind === "custom") {
    q.set("from", new Date(state.range.from).toISOString());
    q.set("to", new Date(state.range.to).toISOString());
  } else if (state.range.preset !== DEFAULT_PRESET) {
    q.set("range", state.range.preset);
  }
  for (const key of ["wiki", "user_type", "edit_size", "change_type"] as const) {
    const v = state.filters[key];
    if (v) q.set(key, v);
  }
  const s = q.toString();
  return s ? `?${s}` : "";
}

/** The range in epoch ms: a preset ends at `anchor` (the newest data's end, or now). */
export function resolveRange(range: RangeChoice, anchor: number): { from: number; to: number } {
  if (range.kind === "custom") return { from: range.from, to: range.to };
  return { from: anchor - PRESETS[range.preset], to: anchor };
}

/** A bucket that gives a readable number of points for the range. */
export function chooseBucket(from: number, to: number): Bucket {
  const span = to - from;
  if (span <= 3 * 3_600_000) return "1m";
  if (span <= 48 * 3_600_000) return "5m";
  return "1h";
}

/** Rounds a time up to the next minute (preset anchors do not move on every event). */
export function ceilMinute(ms: number): number {
  return Math.ceil(ms / 60_000) * 60_000;
}

/** The API query for a range and filters (ISO times, only the filters given). */
export function apiQuery(
  range: { from: number; to: number },
  filters: FiltersT,
  extra: Record<string, string> = {},
): string {
  const q = new URLSearchParams({
    from: new Date(range.from).toISOString(),
    to: new Date(range.to).toISOString(),
  });
  for (const key of ["wiki", "user_type", "edit_size", "change_type"] as const) {
    const v = filters[key];
    if (v) q.set(key, v);
  }
  for (const [k, v] of Object.entries(extra)) q.set(k, v);
  return q.toString();
}

/** Whether a silver row passes the filters and lies in `[from, to)` (live rows on the monitor). */
export function matchesView(
  event: { event_time: string; wiki: string; user_type: string; edit_size: string; change_type: string },
  range: { from: number; to: number },
  filters: FiltersT,
): boolean {
  const t = Date.parse(event.event_time);
  if (!(t >= range.from && t < range.to)) return false;
  return (!filters.wiki || event.wiki === filters.wiki) &&
    (!filters.user_type || event.user_type === filters.user_type) &&
    (!filters.edit_size || event.edit_size === filters.edit_size) &&
    (!filters.change_type || event.change_type === filters.change_type);
}
