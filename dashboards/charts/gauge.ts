/**
 * A half-circle gauge in SVG: the value against the largest value of the range.
 * @module
 */
import type { ChartFigure } from "./figure.ts";
import { fillTable } from "./figure.ts";

const NS = "http://www.w3.org/2000/svg";

function svg<K extends keyof SVGElementTagNameMap>(
  tag: K,
  attrs: Record<string, string>,
): SVGElementTagNameMap[K] {
  const el = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
  return el;
}

/** Point on the arc at fraction `f` (0 = left, 1 = right). */
function arcPoint(f: number): string {
  const a = Math.PI * (1 - f);
  return `${(100 + 80 * Math.cos(a)).toFixed(2)} ${(100 - 80 * Math.sin(a)).toFixed(2)}`;
}

/** Draws the gauge of `value` out of `max` with `unit`. */
export function drawGauge(fig: ChartFigure, value: number, max: number, unit: string): void {
  const f = Math.max(0, Math.min(1, max > 0 ? value / max : 0));
  const root = svg("svg", {
    viewBox: "0 0 200 120",
    role: "img",
    "aria-label": `${value} ${unit} of ${max} max`,
  });
  root.append(
    svg("path", { d: `M ${arcPoint(0)} A 80 80 0 0 1 ${arcPoint(1)}`, class: "gauge-track" }),
    svg("path", { d: `M ${arcPoint(0)} A 80 80 0 0 1 ${arcPoint(f)}`, class: "gauge-fill" }),
  );
  const text = svg("text", { x: "100", y: "95", "text-anchor": "middle", class: "gauge-value" });
  text.textContent = value.toLocaleString("en-US");
  const sub = svg("text", { x: "100", y: "115", "text-anchor": "middle", class: "gauge-unit" });
  sub.textContent = `${unit} (range max ${max.toLocaleString("en-US")})`;
  root.append(text, sub);
  fig.plot.replaceChildren(root);
  fig.plot.dataset.value = String(value);
  fillTable(fig.table, ["Measure", "Value"], [[unit, value], ["Largest in range", max]]);
}
