/**
 * Shell: hands every new silver row to the EventsRollup of its UTC day (the drill-downs'
 * serving structure). Called where silver rows are admitted to gold (stream batches and the
 * correction's merges); idempotent per owner and event_id, so a redelivery never double counts.
 */
import type { SilverRow } from "../r2/tables/rows.ts";
import { rowsByDay } from "../durable-objects/events_rollup/rollup_query.ts";

/** Feeds each owner's rows to their days' rollups; resolves to the rows new to the rollups. */
export async function feedEventsRollup(
  env: Env,
  owners: ReadonlyArray<{ owner: string; rows: SilverRow[] }>,
): Promise<number> {
  const calls: Array<Promise<number>> = [];
  for (const { owner, rows } of owners) {
    for (const [day, dayRows] of rowsByDay(rows)) {
      calls.push(env.EVENTS_ROLLUP.getByName(day).add(owner, dayRows).then((r) => r.added));
    }
  }
  return (await Promise.all(calls)).reduce((n, a) => n + a, 0);
}
