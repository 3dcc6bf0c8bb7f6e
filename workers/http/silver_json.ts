import type { SilverRow } from "../../r2/tables/rows.ts";
import type { SilverEventT } from "./api_schemas.ts";

/** A silver row as the API returns it: times as ISO-8601 UTC strings. */
export function silverEventJson(row: SilverRow): SilverEventT {
  return {
    ...row,
    event_time: new Date(row.event_time).toISOString(),
    ingestion_time: new Date(row.ingestion_time).toISOString(),
  };
}
