/**
 * The KPI page's `state → view`: gold windows and anomalies in, big numbers, series, the
 * window table and its CSV out. Pure (no DOM, no clock).
 * @module
 */
import type { AnomalyT, KpiWindowT } from "../workers/http/api_schemas.ts";
import { formatSigned, formatTime, type LiveStatus } from "./monitor_view.ts";

/** The page's state. */
export type KpisState =
  | { kind: "loading" }
  | { kind: "error"; message: string }
  | { kind: "data"; windows: KpiWindowT[]; anomalies: AnomalyT[] | Error; live: LiveStatus };

/** Every gold column in table order (DESIGN.md §3). */
export const GOLD_COLUMNS = [
  "window_start",
  "window_end",
  "final",
  "corrected_pending",
  "late_events",
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
] as const satisfies ReadonlyArray<keyof KpiWindowT>;

/** The four big numbers. */
export const BIG_NUMBERS = [
  { column: "total_edits", label: "Total edits" },
  { column: "unique_editors", label: "Unique editors" },
  { column: "active_pages", label: "Active pages" },
  { column: "net_bytes_added", label: "Knowledge growth (net bytes)" },
] as const;

/** One big number: the newest window's value and its change vs the window before. */
export interface BigNumber {
  column: string;
  label: string;
  value: number;
  valueText: string;
  delta: number | null;
  deltaText: string;
}

/** The KPI view. */
export interface KpisView {
  state: "loading" | "ready" | "empty" | "error";
  message: string;
  newest: { label: string; provisional: boolean; corrected: boolean } | null;
  bigNumbers: BigNumber[];
  x: number[];
  labels: string[];
  bot: number[];
  human: number[];
  botPct: number[];
  volatility: number[];
  markers: Array<{ x: number; signal: string; label: string }>;
  gauge: { value: number; max: number };
  trends: Array<{ key: string; label: string; value: number; share: number }>;
  anomalies: Array<{ time: string; signal: string; value: number; mean: number; z: number }>;
  /** Why the anomalies are missing (their request failed), or null. */
  anomaliesError: string | null;
  /** Newest first; the two time cells are compact (`2026-04-01 08:25`), `iso` keeps them raw. */
  table: Array<{ cells: string[]; iso: [string, string]; provisional: boolean; corrected: boolean }>;
}

/** `YYYY-MM-DD HH:MM` UTC: a window bound on one line (the CSV keeps the ISO string). */
export function formatWindowBound(iso: string): string {
  return new Date(iso).toISOString().slice(0, 16).replace("T", " ");
}

/** A gold value as table/CSV text (numbers raw, not localised). */
function cellText(v: unknown): string {
  return typeof v === "number" ? String(Math.round(v * 1000) / 1000) : String(v);
}

/** Window label with its status. */
function windowLabel(w: KpiWindowT): string {
  return `${formatTime(w.window_start, true)}–${formatTime(w.window_end)} UTC`;
}

/** The big numbers of the newest window vs the one before. */
export function toBigNumbers(windows: KpiWindowT[]): BigNumber[] {
  const newest = windows.at(-1);
  const before = windows.at(-2);
  return BIG_NUMBERS.map(({ column, label }) => {
    const value = newest ? newest[column] : 0;
    const delta = newest && before ? value - before[column] : null;
    return {
      column,
      label,
      value,
      valueText: column === "net_bytes_added" ? formatSigned(value) : value.toLocaleString("en-US"),
      delta,
      deltaText: delta === null ? "no previous window" : `${formatSigned(delta)} vs previous window`,
    };
  });
}

/** RFC 4180 CSV of every gold column per window. */
export function toCsv(windows: KpiWindowT[]): string {
  const quote = (s: string) => /[",\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
  const lines = [GOLD_COLUMNS.join(",")];
  for (const w of windows) lines.push(GOLD_COLUMNS.map((c) => quote(String(w[c]))).join(","));
  return lines.join("\r\n") + "\r\n";
}

/** The KPI view of a state. */
export function renderKpis(state: KpisState): KpisView {
  const blank: KpisView = {
    state: "loading",
    message: "Loading…",
    newest: null,
    bigNumbers: [],
    x: [],
    labels: [],
    bot: [],
    human: [],
    botPct: [],
    volatility: [],
    markers: [],
    gauge: { value: 0, max: 1 },
    trends: [],
    anomalies: [],
    anomaliesError: null,
    table: [],
  };
  if (state.kind === "loading") return blank;
  if (state.kind === "error") {
    return { ...blank, state: "error", message: `Cannot load data: ${state.message}` };
  }
  const ws = state.windows;
  const found = state.anomalies instanceof Error ? [] : state.anomalies;
  const newest = ws.at(-1);
  const counts = { GROWING: 0, STABLE: 0, SHRINKING: 0 };
  for (const w of ws) counts[w.knowledge_trend]++;
  const live = state.live === "live"
    ? "Live: updates are pushed"
    : state.live === "polling"
    ? "Live push unavailable: refreshing every 10 s"
    : "Connecting to live updates…";
  return {
    state: ws.length === 0 ? "empty" : "ready",
    message: ws.length === 0 ? `No windows in this range. ${live}` : live,
    newest: newest
      ? { label: windowLabel(newest), provisional: !newest.final, corrected: newest.corrected_pending }
      : null,
    bigNumbers: toBigNumbers(ws),
    x: ws.map((w) => Date.parse(w.window_start) / 1000),
    labels: ws.map((w) => formatTime(w.window_start, true)),
    bot: ws.map((w) => w.bot_edits),
    human: ws.map((w) => w.human_edits),
    botPct: ws.map((w) => Math.round(w.bot_edit_percentage * 10) / 10),
    volatility: ws.map((w) => w.volatility_score),
    markers: found.map((a) => ({
      x: Date.parse(a.window_start) / 1000,
      signal: a.signal,
      label: `${a.signal} at ${formatTime(a.window_start, true)}`,
    })),
    gauge: {
      value: newest?.edits_per_minute ?? 0,
      max: Math.max(1, ...ws.map((w) => w.edits_per_minute)),
    },
    trends: (["GROWING", "STABLE", "SHRINKING"] as const).map((k) => ({
      key: k,
      label: k[0] + k.slice(1).toLowerCase(),
      value: counts[k],
      share: ws.length ? counts[k] / ws.length : 0,
    })),
    anomaliesError: state.anomalies instanceof Error
      ? `Anomalies unavailable: ${state.anomalies.message}`
      : null,
    anomalies: found.map((a) => ({
      time: formatTime(a.window_start, true),
      signal: a.signal,
      value: a.value,
      mean: Math.round(a.mean * 10) / 10,
      z: Math.round(a.z * 100) / 100,
    })),
    table: [...ws].reverse().map((w) => ({
      cells: GOLD_COLUMNS.map((c) =>
        c === "window_start" || c === "window_end" ? formatWindowBound(w[c]) : cellText(w[c])
      ),
      iso: [w.window_start, w.window_end],
      provisional: !w.final,
      corrected: w.corrected_pending,
    })),
  };
}

/** Replaces or inserts a pushed window, keeping `window_start` order and the range. */
export function mergeWindow(
  windows: KpiWindowT[],
  w: KpiWindowT,
  range: { from: number; to: number },
): KpiWindowT[] {
  const t = Date.parse(w.window_start);
  if (!(t >= range.from && t < range.to)) return windows;
  const rest = windows.filter((x) => x.window_start !== w.window_start);
  return [...rest, w].sort((a, b) => Date.parse(a.window_start) - Date.parse(b.window_start));
}
