/**
 * Horizontal bars drawn with HTML (readable at any width, text selectable, no canvas): one
 * row per key with its count and share.
 * @module
 */
import { h } from "../dom.ts";
import type { BarsView } from "../monitor_view.ts";
import { type ChartFigure, fillTable } from "./figure.ts";

/** Draws `bars` into the figure (and its data table). */
export function drawBarList(fig: ChartFigure, bars: BarsView): void {
  const max = Math.max(1, ...bars.rows.map((r) => r.value));
  const list = h(
    "ul",
    { class: "bar-list" },
    ...bars.rows.map((r, i) =>
      h(
        "li",
        { "data-key": r.key, "data-value": r.value },
        h("span", { class: "bar-label" }, r.label),
        h(
          "span",
          { class: "bar-track", "aria-hidden": "true" },
          h("span", { class: `bar-fill bar-${i % 6}`, "data-width": Math.round((r.value / max) * 100) }),
        ),
        h(
          "span",
          { class: "bar-value" },
          `${r.value.toLocaleString("en-US")} (${(r.share * 100).toFixed(1)} %)`,
        ),
      )
    ),
  );
  if (bars.rows.length === 0) list.append(h("li", { class: "none" }, "No data"));
  fig.plot.replaceChildren(list);
  // Widths through the CSSOM (allowed by the CSP, unlike style attributes).
  list.querySelectorAll<HTMLElement>(".bar-fill").forEach((fill) => {
    fill.style.width = `${fill.dataset.width}%`;
  });
  fillTable(
    fig.table,
    ["Key", "Events", "Share %"],
    bars.rows.map((r) => [r.key, r.value, (r.share * 100).toFixed(1)]),
  );
}
