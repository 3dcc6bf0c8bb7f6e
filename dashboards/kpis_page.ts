/**
 * The KPI analytics page at `/kpis` (shell): gold windows and anomalies of the range from the
 * API, drawn from `renderKpis`, windows merged in as `/api/live` pushes them.
 * @module
 */
import { fetchKpis, fetchLatestEnd, subscribeLive } from "./api_client.ts";
import { byId, h } from "./dom.ts";
import { drawBarList } from "./charts/bar_list.ts";
import { type ChartFigure, createFigure, fillTable } from "./charts/figure.ts";
import { drawGauge } from "./charts/gauge.ts";
import { drawTimeChart, resizeCharts } from "./charts/time_chart.ts";
import { fillForm, wireForm } from "./filters_form.ts";
import { GOLD_COLUMNS, type KpisState, mergeWindow, renderKpis, toCsv } from "./kpis_view.ts";
import type { LiveStatus } from "./monitor_view.ts";
import { ceilMinute, parseViewState, resolveRange, type ViewState } from "./view_state.ts";

const charts = byId("charts");
const figs = {
  botHuman: createFigure(charts, "bot_vs_human", "Bot vs human edits per window (stacked)", true),
  botShare: createFigure(charts, "bot_share", "Bot share: bot edits (bars) and bot percentage (line)", true),
  gauge: createFigure(charts, "edits_per_minute", "Edits per minute, newest window"),
  trend: createFigure(charts, "knowledge_trend", "Knowledge trend distribution (windows)"),
  volatility: createFigure(charts, "volatility", "Volatility score per window, anomalies marked", true),
};

let view: ViewState = parseViewState(location.search);
let anchor = Date.now();
let state: KpisState = { kind: "loading" };
let live: LiveStatus = "connecting";
let controller: AbortController | null = null;
let csvUrl: string | null = null;
let anomalyTimer: ReturnType<typeof setTimeout> | null = null;

const range = () => resolveRange(view.range, anchor);

function draw(): void {
  const v = renderKpis(state);
  byId("main").dataset.state = v.state;
  byId("status").textContent = v.message;
  const newest = byId("newest");
  newest.replaceChildren();
  if (v.newest) {
    newest.append(`Newest window ${v.newest.label} `);
    newest.append(
      v.newest.provisional
        ? h("span", { class: "badge provisional", "data-final": "false" }, "provisional: window still open")
        : h("span", { class: "badge final", "data-final": "true" }, "final"),
    );
    if (v.newest.corrected) newest.append(" ", h("span", { class: "badge corrected" }, "correction pending"));
  }
  if (state.kind !== "data") return;
  byId("big-numbers").replaceChildren(...v.bigNumbers.map((b) =>
    h(
      "div",
      { class: "big", "data-kpi": b.column, "data-value": b.value },
      h("span", { class: "big-label" }, b.label),
      h("span", { class: "big-value" }, b.valueText),
      h(
        "span",
        {
          class: `big-delta ${b.delta === null ? "" : b.delta > 0 ? "up" : b.delta < 0 ? "down" : ""}`,
          "data-delta": b.delta ?? undefined,
        },
        b.deltaText,
      ),
    )
  ));
  drawTimeChart(figs.botHuman, {
    x: v.x,
    labels: v.labels,
    stacked: true,
    series: [
      { name: "Human", values: v.human, kind: "area", color: "--c-human" },
      { name: "Bot", values: v.bot, kind: "area", color: "--c-bot" },
    ],
  });
  drawTimeChart(figs.botShare, {
    x: v.x,
    labels: v.labels,
    series: [
      { name: "Bot edits", values: v.bot, kind: "bars", color: "--c-bot" },
      { name: "Bot %", values: v.botPct, kind: "line", color: "--c-pct", scale: "pct" },
    ],
  });
  drawGauge(figs.gauge, v.gauge.value, v.gauge.max, "edits/min");
  drawBarList(figs.trend, { rows: v.trends, total: v.trends.reduce((s, r) => s + r.value, 0) });
  drawTimeChart(figs.volatility, {
    x: v.x,
    labels: v.labels,
    markers: v.markers,
    series: [{ name: "Volatility (Σ|bytes|)", values: v.volatility, kind: "line", color: "--c-1" }],
  });
  const anomalies = byId<HTMLTableElement>("anomalies");
  fillTable(
    anomalies,
    ["Window (UTC)", "Signal", "Value", "Mean", "z"],
    v.anomalies.map((a) => [a.time, a.signal, a.value, a.mean, a.z]),
  );
  if (v.anomalies.length === 0) {
    const text = v.anomaliesError ?? "No anomalies in this range";
    anomalies.tBodies[0].append(
      h("tr", {}, h("td", { colspan: 5, class: v.anomaliesError ? "error" : undefined }, text)),
    );
  }
  const windows = byId<HTMLTableElement>("windows");
  fillTable(windows, [...GOLD_COLUMNS], []);
  windows.tBodies[0].append(...v.table.map((r) =>
    h(
      "tr",
      { class: r.provisional ? "provisional" : r.corrected ? "corrected" : undefined },
      ...r.cells.map((c, i) =>
        i < 2
          ? h("td", { class: "time" }, h("time", { datetime: r.iso[i as 0 | 1] }, c))
          : h("td", { class: i >= 4 && i < 17 ? "num" : undefined }, c)
      ),
    )
  ));
  if (csvUrl) URL.revokeObjectURL(csvUrl);
  csvUrl = URL.createObjectURL(new Blob([toCsv(state.windows)], { type: "text/csv" }));
  byId<HTMLAnchorElement>("csv").href = csvUrl;
}

async function load(showLoading: boolean): Promise<void> {
  controller?.abort();
  const ac = new AbortController();
  controller = ac;
  if (showLoading) {
    state = { kind: "loading" };
    draw();
  }
  try {
    if (view.range.kind === "preset") anchor = ceilMinute((await fetchLatestEnd(ac.signal)) ?? Date.now());
    const data = await fetchKpis(range(), ac.signal);
    if (ac.signal.aborted) return;
    state = { kind: "data", ...data, live };
  } catch (error) {
    if (ac.signal.aborted) return;
    state = { kind: "error", message: error instanceof Error ? error.message : String(error) };
  }
  fillForm(view, range());
  draw();
}

wireForm(parseViewState, (next) => {
  view = next;
  void load(true);
});

subscribeLive({
  onStatus(s) {
    live = s;
    if (state.kind === "data") {
      state = { ...state, live: s };
      byId("status").textContent = renderKpis(state).message;
    }
  },
  onWindow(w) {
    if (state.kind !== "data") return;
    const end = Date.parse(w.window_end);
    if (view.range.kind === "preset" && end > anchor) anchor = ceilMinute(end);
    state = { ...state, windows: mergeWindow(state.windows, w, range()) };
    draw();
    // A final window can make an anomaly: re-read them shortly (coalesced).
    anomalyTimer ??= setTimeout(() => {
      anomalyTimer = null;
      void load(false);
    }, 5_000);
  },
  onRecent() {},
  onReset() {
    void load(false);
  },
  onPoll() {
    void load(false);
  },
});

addEventListener("resize", () => resizeCharts(Object.values(figs) as ChartFigure[]));
void load(true);
