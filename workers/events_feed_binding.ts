/**
 * Shell: hands every new silver row to the EventsRollup of its UTC day (the drill-downs'
 * serving structure). Called where silver rows are admitted to gold (stream batches and the
 * correction's merges); idempotent per owner and event_id, so a redelivery never double counts.
 */
import type { SilverRow } from "../r2/tables/rows.ts";
import { dayName, rowsByDay } from "../durable-objects/events_rollup/rollup_query.ts";
import { rollupRetentionDays, rollupsKeptFrom } from "../durable-objects/events_rollup/rollup_retention.ts";

/** Feeds each owner's rows to their days' rollups; resolves to the rows new to the rollups. */
export async function feedEventsRollup(
  env: Env,
  owners: ReadonlyArray<{ owner: string; rows: SilverRow[] }>,
): Promise<number> {
  const calls: Array<Promise<number>> = [];
  // Days past the retention are deleted by maintenance and never served: not fed (not re-created).
  const keptFrom = dayName(rollupsKeptFrom(Date.now(), rollupRetentionDays(env.ROLLUP_RETENTION_DAYS)));
  for (const { owner, rows } of owners) {
    for (const [day, dayRows] of rowsByDay(rows)) {
      if (day < keptFrom) continue;
      calls.push(env.EVENTS_ROLLUP.getByName(day).add(owner, dayRows).then((r) => r.added));
    }
  }
  return (await Promise.all(calls)).reduce((n, a) => n + a, 0);
}
