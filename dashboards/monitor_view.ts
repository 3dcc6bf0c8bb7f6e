/**
 * The events monitor's `state → view`: API answers in, what every chart, table and status line
 * shows out. Pure (no DOM, no clock), so the browser shell only draws what this returns.
 * @module
 */
import type {
  BreakdownResponseT,
  RecentResponseT,
  SilverEventT,
  TimeseriesResponseT,
  TopPagesResponseT,
} from "../workers/http/api_schemas.ts";

/** Everything the monitor fetched for one view. */
export interface MonitorData {
  timeseries: TimeseriesResponseT;
  userType: BreakdownResponseT;
  editSize: BreakdownResponseT;
  changeType: BreakdownResponseT;
  wikis: BreakdownResponseT;
  topPages: TopPagesResponseT;
  recent: RecentResponseT;
}

/** The page's state: loading, an error message, or data. */
export type MonitorState =
  | { kind: "loading" }
  | { kind: "error"; message: string }
  | { kind: "data"; data: MonitorData; live: LiveStatus };

/** How the page receives updates. */
export type LiveStatus = "connecting" | "live" | "polling";

/** A bar list: one labelled bar per key. */
export interface BarsView {
  rows: Array<{ key: string; label: string; value: number; share: number }>;
  total: number;
}

/** A time series: x in seconds (uPlot), named series of equal length. */
export interface SeriesView {
  x: number[];
  series: Array<{ name: string; values: number[] }>;
  labels: string[];
}

/** One row of the live log. */
export interface LogRow {
  id: string;
  time: string;
  wiki: string;
  title: string;
  url: string | null;
  user: string;
  userType: string;
  bytes: number;
  bytesText: string;
  comment: string;
}

/** The whole monitor view. */
export interface MonitorView {
  state: "loading" | "ready" | "empty" | "error";
  message: string;
  totalEvents: number;
  overTime: SeriesView;
  userType: BarsView;
  editSize: BarsView;
  changeType: BarsView;
  wikis: BarsView;
  topPages: Array<{ wiki: string; title: string; edits: number; url: string }>;
  recent: LogRow[];
}

/** `HH:MM` UTC (with the date when the range spans days). */
export function formatTime(iso: string | number, withDate = false): string {
  const s = new Date(iso).toISOString();
  return withDate ? `${s.slice(5, 10)} ${s.slice(11, 16)}` : s.slice(11, 16);
}

/** `+1,234` / `−56` / `0`. */
export function formatSigned(n: number): string {
  const abs = Math.abs(n).toLocaleString("en-US");
  return n > 0 ? `+${abs}` : n < 0 ? `−${abs}` : "0";
}

const LABELS: Record<string, string> = {
  BOT: "Bot",
  REGISTERED: "Registered",
  ANONYMOUS: "Anonymous",
  LARGE: "Large (> 500 B)",
  SMALL: "Small",
  LARGE_REMOVAL: "Large removal (< −500 B)",
};

/** A breakdown as bars, keeping the API's order. */
export function toBars(b: BreakdownResponseT): BarsView {
  const total = b.rows.reduce((s, r) => s + r.events, 0);
  return {
    total,
    rows: b.rows.map((r) => ({
      key: r.key,
      label: LABELS[r.key] ?? r.key,
      value: r.events,
      share: total > 0 ? r.events / total : 0,
    })),
  };
}

/** The timeseries as uPlot columns: bot and human per bucket. */
export function toOverTime(ts: TimeseriesResponseT): SeriesView {
  const x = ts.points.map((p) => Date.parse(p.t) / 1000);
  const multiDay = x.length > 1 && x[x.length - 1] - x[0] >= 86_400;
  return {
    x,
    labels: ts.points.map((p) => formatTime(p.t, multiDay)),
    series: [
      { name: "Human", values: ts.points.map((p) => p.human) },
      { name: "Bot", values: ts.points.map((p) => p.bot) },
    ],
  };
}

/** A silver row as a live-log row. */
export function toLogRow(e: SilverEventT): LogRow {
  const title = e.page_title;
  const url = e.server_name
    ? `https://${e.server_name}/wiki/${encodeURIComponent(title.replaceAll(" ", "_"))}`
    : null;
  return {
    id: e.event_id,
    time: new Date(e.event_time).toISOString().slice(11, 19),
    wiki: e.wiki,
    title,
    url,
    user: e.user_name,
    userType: e.user_type,
    bytes: e.bytes_diff,
    bytesText: formatSigned(e.bytes_diff),
    comment: e.comment ?? "",
  };
}

/** Newest first, ties by `event_id` (the API's order), at most `limit`, no duplicates. */
export function mergeRecent(
  current: SilverEventT[],
  incoming: SilverEventT[],
  limit: number,
): SilverEventT[] {
  const byId = new Map<string, SilverEventT>();
  for (const e of [...incoming, ...current]) if (!byId.has(e.event_id)) byId.set(e.event_id, e);
  return [...byId.values()].sort((a, b) =>
    Date.parse(b.event_time) - Date.parse(a.event_time) || (a.event_id < b.event_id ? -1 : 1)
  ).slice(0, limit);
}

const EMPTY_BARS: BarsView = { rows: [], total: 0 };

/** The monitor view of a state. */
export function renderMonitor(state: MonitorState): MonitorView {
  const blank: MonitorView = {
    state: "loading",
    message: "Loading…",
    totalEvents: 0,
    overTime: { x: [], series: [], labels: [] },
    userType: EMPTY_BARS,
    editSize: EMPTY_BARS,
    changeType: EMPTY_BARS,
    wikis: EMPTY_BARS,
    topPages: [],
    recent: [],
  };
  if (state.kind === "loading") return blank;
  if (state.kind === "error") {
    return { ...blank, state: "error", message: `Cannot load data: ${state.message}` };
  }
  const d = state.data;
  const totalEvents = d.timeseries.points.reduce((s, p) => s + p.events, 0);
  const live = state.live === "live"
    ? "Live: updates are pushed"
    : state.live === "polling"
    ? "Live push unavailable: refreshing every 10 s"
    : "Connecting to live updates…";
  return {
    state: totalEvents === 0 ? "empty" : "ready",
    message: totalEvents === 0 ? `No events in this range and filter. ${live}` : live,
    totalEvents,
    overTime: toOverTime(d.timeseries),
    userType: toBars(d.userType),
    editSize: toBars(d.editSize),
    changeType: toBars(d.changeType),
    wikis: toBars(d.wikis),
    topPages: d.topPages.rows.map((r) => ({ wiki: r.wiki, title: r.page_title, edits: r.edits, url: r.url })),
    recent: d.recent.events.map(toLogRow),
  };
}
