/**
 * The JSON shape of a gold window as the API and the live push return it (DESIGN.md §4). Below both the
 * Worker's routes and the LiveHub, so imports point one way.
 */
import type { GoldRow } from "../../r2/tables/rows.ts";

/** A window as the API returns it. */
export interface WindowJson {
  window_start: string;
  window_end: string;
  final: boolean;
  corrected_pending: boolean;
  late_events: number;
  [column: string]: string | number | boolean;
}

/** Renders a gold row plus its state as the API's JSON object. */
export function windowJson(row: GoldRow, final: boolean, lateEvents: number): WindowJson {
  return {
    ...row,
    window_start: new Date(row.window_start).toISOString(),
    window_end: new Date(row.window_end).toISOString(),
    final,
    corrected_pending: final && lateEvents > 0,
    late_events: lateEvents,
  };
}
