import type { SilverRow } from "../../r2/tables/rows.ts";

/** A silver row with its times as ISO strings. */
export type SilverEventJson = Omit<SilverRow, "event_time" | "ingestion_time"> & {
  event_time: string;
  ingestion_time: string;
};

/** A silver row as the API returns it: times as ISO-8601 UTC strings. */
export function silverEventJson(row: SilverRow): SilverEventJson {
  return {
    ...row,
    event_time: new Date(row.event_time).toISOString(),
    ingestion_time: new Date(row.ingestion_time).toISOString(),
  };
}
