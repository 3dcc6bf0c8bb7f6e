/**
 * Renders tracker entries as API windows: final ones from their committed rows, open ones live from
 * their GoldWindow. Shared by the KPI routes and the LiveHub (below both, so imports point one way).
 */
import type { WindowEntry } from "../watermark/watermark_tracker_object.ts";
import { windowName } from "./kpi.ts";
import { type WindowJson, windowJson } from "./window_json.ts";

/** Final windows come from the tracker's committed rows; open ones live from their GoldWindow. */
export async function render(env: Env, entries: WindowEntry[]): Promise<WindowJson[]> {
  const windows = await Promise.all(entries.map(async (entry) => {
    if (entry.state === "final") return entry.row ? windowJson(entry.row, true, entry.late) : null;
    const snapshot = await env.GOLD_WINDOW.getByName(windowName(entry.start)).snapshot(entry.start);
    return snapshot.row ? windowJson(snapshot.row, false, 0) : null;
  }));
  return windows.filter((w): w is WindowJson => w !== null);
}
