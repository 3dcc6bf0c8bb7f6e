/**
 * Pure parsing and bounding of the KPI API's query, and the JSON shape of a window
 * (DESIGN.md §4: times as ISO-8601 UTC strings, the 13 other gold columns by name).
 */

/** Longest range one request may ask for. */
export const MAX_RANGE_MS = 7 * 24 * 3_600_000;
/** Range served when the request names none: the hour before the newest window's end. */
export const DEFAULT_RANGE_MS = 3_600_000;
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;

/** Whether `value` is an ISO-8601 time with a zone (`2026-01-01T00:00:00Z`) that parses. */
export function isIsoTime(value: string): boolean {
  return ISO.test(value) && Number.isFinite(Date.parse(value));
}

/** A validated range `[from, to)` of window starts, or a message for a 400. */
export type RangeResult = { ok: true; from: number; to: number } | { ok: false; message: string };

/** Validates `from`/`to` (ISO-8601 with a zone); `fallbackTo` is used when `to` is absent. */
export function parseKpiRange(
  from: string | undefined,
  to: string | undefined,
  fallbackTo: number,
): RangeResult {
  const parse = (name: string, value: string) => {
    if (!ISO.test(value)) {
      return `"${name}" must be an ISO-8601 time with a zone, e.g. 2026-01-01T00:00:00Z; got "${
        value.slice(0, 64)
      }"`;
    }
    const ms = Date.parse(value);
    return Number.isFinite(ms) ? ms : `"${name}" is not a valid time: "${value.slice(0, 64)}"`;
  };
  const toMs = to === undefined ? fallbackTo : parse("to", to);
  if (typeof toMs === "string") return { ok: false, message: toMs };
  const fromMs = from === undefined ? toMs - DEFAULT_RANGE_MS : parse("from", from);
  if (typeof fromMs === "string") return { ok: false, message: fromMs };
  if (fromMs >= toMs) return { ok: false, message: `"from" must be before "to"` };
  if (toMs - fromMs > MAX_RANGE_MS) {
    return { ok: false, message: `range too long: at most ${MAX_RANGE_MS / 3_600_000} hours per request` };
  }
  return { ok: true, from: fromMs, to: toMs };
}

export { type WindowJson, windowJson } from "../../durable-objects/gold_window/window_json.ts";
