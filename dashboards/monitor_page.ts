/**
 * The events monitor at `/` (shell): reads the view from the URL, fetches the silver
 * drill-downs, draws what `renderMonitor` returns, and follows `/api/live`.
 * @module
 */
import { fetchLatestEnd, fetchMonitor, subscribeLive } from "./api_client.ts";
import { byId, h } from "./dom.ts";
import { drawBarList } from "./charts/bar_list.ts";
import { type ChartFigure, createFigure, fillTable } from "./charts/figure.ts";
import { drawTimeChart, resizeCharts } from "./charts/time_chart.ts";
import { fillForm, wireForm } from "./filters_form.ts";
import { type LiveStatus, mergeRecent, type MonitorState, renderMonitor, toLogRow } from "./monitor_view.ts";
import { ceilMinute, matchesView, parseViewState, resolveRange, type ViewState } from "./view_state.ts";
import type { SilverEventT } from "../workers/http/api_schemas.ts";

const charts = byId("charts");
const figs = {
  overTime: createFigure(charts, "events_over_time", "Events over time: human vs bot", true),
  userType: createFigure(charts, "user_type", "User type distribution"),
  editSize: createFigure(charts, "edit_size", "Edit size breakdown"),
  changeType: createFigure(charts, "change_type", "Change types"),
  wikis: createFigure(charts, "top_wikis", "Top wikis"),
};

let view: ViewState = parseViewState(location.search);
let anchor = Date.now();
let state: MonitorState = { kind: "loading" };
let live: LiveStatus = "connecting";
let controller: AbortController | null = null;
let refreshTimer: ReturnType<typeof setTimeout> | null = null;

function range() {
  return resolveRange(view.range, anchor);
}

function draw(): void {
  const v = renderMonitor(state);
  const main = byId("main");
  main.dataset.state = v.state;
  byId("status").textContent = v.message;
  const r = range();
  byId("range-label").textContent = `${new Date(r.from).toISOString().slice(0, 16).replace("T", " ")} – ${
    new Date(r.to).toISOString().slice(11, 16)
  } UTC · ${v.totalEvents.toLocaleString("en-US")} events`;
  if (state.kind !== "data") return;
  drawTimeChart(figs.overTime, {
    x: v.overTime.x,
    labels: v.overTime.labels,
    series: [
      { ...v.overTime.series[0], kind: "line", color: "--c-human" },
      { ...v.overTime.series[1], kind: "line", color: "--c-bot" },
    ],
  });
  drawBarList(figs.userType, v.userType);
  drawBarList(figs.editSize, v.editSize);
  drawBarList(figs.changeType, v.changeType);
  drawBarList(figs.wikis, v.wikis);
  const datalist = byId("wiki-list");
  datalist.replaceChildren(...v.wikis.rows.map((r) => h("option", { value: r.key })));
  const top = byId<HTMLTableElement>("top-pages");
  fillTable(top, ["Wiki", "Page", "Edits"], []);
  top.tBodies[0].append(
    ...v.topPages.map((p) =>
      h(
        "tr",
        {},
        h("td", {}, p.wiki),
        h("td", {}, h("a", { href: p.url, rel: "noopener noreferrer", target: "_blank" }, p.title)),
        h("td", { class: "num", "data-value": p.edits }, p.edits.toLocaleString("en-US")),
      )
    ),
  );
  if (v.topPages.length === 0) top.tBodies[0].append(h("tr", {}, h("td", { colspan: 3 }, "No pages")));
  drawRecent(state.data.recent.events);
}

function drawRecent(events: SilverEventT[]): void {
  const table = byId<HTMLTableElement>("recent");
  fillTable(table, ["Time (UTC)", "Wiki", "Title", "User", "User type", "Bytes", "Comment"], []);
  table.tBodies[0].append(
    ...events.map(toLogRow).map((r) =>
      h(
        "tr",
        { "data-event-id": r.id },
        h("td", {}, r.time),
        h("td", {}, r.wiki),
        h(
          "td",
          { class: "title" },
          r.url ? h("a", { href: r.url, rel: "noopener noreferrer", target: "_blank" }, r.title) : r.title,
        ),
        h("td", { class: "user" }, r.user),
        h("td", {}, r.userType),
        h("td", { class: `num ${r.bytes < 0 ? "neg" : "pos"}`, "data-value": r.bytes }, r.bytesText),
        h("td", { class: "comment", title: r.comment }, r.comment),
      )
    ),
  );
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
    const data = await fetchMonitor(range(), view.filters, ac.signal);
    if (ac.signal.aborted) return;
    state = { kind: "data", data, live };
  } catch (error) {
    if (ac.signal.aborted) return;
    state = { kind: "error", message: error instanceof Error ? error.message : String(error) };
  }
  fillForm(view, range());
  draw();
}

/** Refetches the charts a little after pushed changes (coalesced). */
function scheduleRefresh(delayMs = 2_000): void {
  refreshTimer ??= setTimeout(() => {
    refreshTimer = null;
    void load(false); // errors become the error state inside load()
  }, delayMs);
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
      byId("status").textContent = renderMonitor(state).message;
    }
  },
  onWindow() {
    scheduleRefresh();
  },
  onRecent(events) {
    if (state.kind !== "data") return;
    const newest = Math.max(...events.map((e) => Date.parse(e.event_time)));
    if (view.range.kind === "preset" && newest >= anchor) anchor = ceilMinute(newest + 1);
    const fresh = events.filter((e) => matchesView(e, range(), view.filters));
    if (fresh.length === 0) return;
    const merged = mergeRecent(state.data.recent.events, fresh, 50);
    state = { ...state, data: { ...state.data, recent: { ...state.data.recent, events: merged } } };
    drawRecent(merged);
    scheduleRefresh(3_000);
  },
  onReset() {
    scheduleRefresh(0);
  },
  onPoll() {
    scheduleRefresh(0);
  },
});

addEventListener("resize", () => resizeCharts(Object.values(figs) as ChartFigure[]));
void load(true);
