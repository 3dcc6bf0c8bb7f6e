/**
 * A chart's frame (DESIGN.md §6): `<figure data-chart>` with a caption, the drawing area and a
 * text alternative table (collapsed) that carries the chart's numbers.
 * @module
 */
import { h } from "../dom.ts";

/** The parts of a chart figure. */
export interface ChartFigure {
  figure: HTMLElement;
  plot: HTMLElement;
  table: HTMLTableElement;
}

/** Builds the figure for chart `name` into `parent`. */
export function createFigure(parent: HTMLElement, name: string, caption: string, wide = false): ChartFigure {
  const plot = h("div", { class: "plot" });
  const table = h("table", { class: "data-table" });
  const figure = h(
    "figure",
    { "data-chart": name, class: wide ? "card wide" : "card" },
    h("figcaption", {}, caption),
    plot,
    h("details", {}, h("summary", {}, "Data table"), h("div", { class: "table-scroll" }, table)),
  );
  parent.append(figure);
  return { figure, plot, table };
}

/** Fills a table: a header row and data rows (cells as text; numbers keep a `data-value`). */
export function fillTable(
  table: HTMLTableElement,
  head: string[],
  rows: Array<Array<string | number>>,
): void {
  const thead = h("thead", {}, h("tr", {}, ...head.map((c) => h("th", { scope: "col" }, c))));
  const tbody = h(
    "tbody",
    {},
    ...rows.map((r) =>
      h(
        "tr",
        {},
        ...r.map((c) =>
          typeof c === "number"
            ? h("td", { class: "num", "data-value": c }, c.toLocaleString("en-US"))
            : h("td", {}, c)
        ),
      )
    ),
  );
  table.replaceChildren(thead, tbody);
}
