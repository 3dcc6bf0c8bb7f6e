/**
 * Shell: tells the LiveHub which windows changed and which silver rows were admitted. Never
 * awaited by the pipeline and never throws into it: a hub failure only costs live updates.
 */
import type { SilverRow } from "../r2/tables/rows.ts";
import { windowStartOf } from "../durable-objects/gold_window/kpi.ts";
import { LIVE_HUB_NAME } from "../durable-objects/live_hub/live_hub_object.ts";

/** Fire-and-forget notification of the live hub. */
export function notifyLive(env: Env, rows: SilverRow[]): void {
  if (!rows.length) return;
  const starts = [...new Set(rows.map((r) => windowStartOf(r.event_time)))];
  env.LIVE_HUB.getByName(LIVE_HUB_NAME).notify(starts, rows).catch((error: unknown) => {
    console.error(JSON.stringify({ msg: "Live hub notification failed", error: String(error) }));
  });
}
