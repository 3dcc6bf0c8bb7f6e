/**
 * The one HTTP client both pages share: typed reads of the API (types from the routes' own
 * schemas) and the live stream (`/api/live`, EventSource) with polling as the fallback.
 * @module
 */
import type {
  AnomaliesResponseT,
  BreakdownBy,
  BreakdownResponseT,
  FiltersT,
  KpisResponseT,
  KpiWindowT,
  LiveRecentPayloadT,
  RecentResponseT,
  SilverEventT,
  TimeseriesResponseT,
  TopPagesResponseT,
} from "../workers/http/api_schemas.ts";
import { apiQuery, chooseBucket } from "./view_state.ts";
import type { MonitorData } from "./monitor_view.ts";

/** A failed API call: status and the API's message. */
export class ApiError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
    this.name = "ApiError";
  }
}

/** GETs `path` and parses JSON; a non-2xx answer throws {@link ApiError}. */
export async function getJson<T>(path: string, signal?: AbortSignal): Promise<T> {
  const res = await fetch(path, { headers: { accept: "application/json" }, signal });
  const body = await res.json().catch(() => null) as { error?: { message?: string } } | null;
  if (!res.ok) throw new ApiError(res.status, body?.error?.message ?? `${path} answered ${res.status}`);
  return body as T;
}

type Range = { from: number; to: number };

/** The newest gold window's end (anchor of rolling ranges), or null without data. */
export async function fetchLatestEnd(signal?: AbortSignal): Promise<number | null> {
  const r = await getJson<KpisResponseT>("/api/kpis/latest", signal);
  const w = r.windows.at(-1);
  return w ? Date.parse(w.window_end) : null;
}

/** Every silver drill-down of the monitor, in parallel. */
export async function fetchMonitor(
  range: Range,
  filters: FiltersT,
  signal?: AbortSignal,
): Promise<MonitorData> {
  const q = (extra: Record<string, string>) => apiQuery(range, filters, extra);
  const breakdown = (by: BreakdownBy, limit = "20") =>
    getJson<BreakdownResponseT>(`/api/events/breakdown?${q({ by, limit })}`, signal);
  const [timeseries, userType, editSize, changeType, wikis, topPages, recent] = await Promise.all([
    getJson<TimeseriesResponseT>(
      `/api/events/timeseries?${q({ bucket: chooseBucket(range.from, range.to) })}`,
      signal,
    ),
    breakdown("user_type"),
    breakdown("edit_size"),
    breakdown("change_type"),
    breakdown("wiki", "10"),
    getJson<TopPagesResponseT>(`/api/events/top-pages?${q({ limit: "10" })}`, signal),
    getJson<RecentResponseT>(`/api/events/recent?${q({ limit: "50" })}`, signal),
  ]);
  return { timeseries, userType, editSize, changeType, wikis, topPages, recent };
}

/**
 * Gold windows and anomalies of a range. The windows are the page; the anomalies are one part of
 * it, so their failure is reported beside the data (`anomalies: Error`) instead of failing all.
 */
export async function fetchKpis(
  range: Range,
  signal?: AbortSignal,
): Promise<{ windows: KpiWindowT[]; anomalies: AnomaliesResponseT["anomalies"] | Error }> {
  const q = apiQuery(range, {});
  const [kpis, anomalies] = await Promise.all([
    getJson<KpisResponseT>(`/api/kpis?${q}`, signal),
    getJson<AnomaliesResponseT>(`/api/anomalies?${q}`, signal).then(
      (r) => r.anomalies,
      (e: unknown) => (e instanceof Error ? e : new Error(String(e))),
    ),
  ]);
  return { windows: kpis.windows, anomalies };
}

/** Callbacks of {@link subscribeLive}. */
export interface LiveHandlers {
  onWindow(w: KpiWindowT): void;
  onRecent(events: SilverEventT[]): void;
  /** The hub could not resume the stream (or the pipeline was reset): reload everything. */
  onReset(): void;
  /** Called every `pollMs` once the push channel failed. */
  onPoll(): void;
  onStatus(status: "connecting" | "live" | "polling"): void;
}

/**
 * Listens to `/api/live`; after the stream fails twice without ever opening (or is closed by the
 * browser), falls back to calling `onPoll` every `pollMs`. Returns a stop function.
 */
export function subscribeLive(h: LiveHandlers, pollMs = 10_000): () => void {
  let source: EventSource | null = new EventSource("/api/live");
  let timer: ReturnType<typeof setInterval> | null = null;
  let failures = 0;
  h.onStatus("connecting");
  const fallBack = () => {
    source?.close();
    source = null;
    h.onStatus("polling");
    timer ??= setInterval(() => h.onPoll(), pollMs);
  };
  source.addEventListener("open", () => {
    failures = 0;
    h.onStatus("live");
  });
  source.addEventListener("error", () => {
    failures++;
    if (source?.readyState === EventSource.CLOSED || failures >= 3) fallBack();
    else h.onStatus("connecting");
  });
  source.addEventListener("window", (e) => h.onWindow(JSON.parse((e as MessageEvent).data) as KpiWindowT));
  source.addEventListener("reset", () => h.onReset());
  source.addEventListener("recent", (e) => {
    h.onRecent((JSON.parse((e as MessageEvent).data) as LiveRecentPayloadT).events);
  });
  return () => {
    source?.close();
    if (timer) clearInterval(timer);
  };
}
