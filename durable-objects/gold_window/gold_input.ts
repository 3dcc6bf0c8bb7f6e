/**
 * What the queue consumer hands a GoldWindow: the KPI inputs of one silver row.
 */
import type { SilverRow } from "../../r2/tables/rows.ts";

/** The KPI inputs of one silver row. */
export interface GoldInput {
  event_id: string;
  user_name: string;
  wiki: string;
  page_title: string;
  is_bot: boolean;
  bytes_diff: number;
}

/** Keeps only the columns the gold KPIs need. */
export function toGoldInput(row: SilverRow): GoldInput {
  return {
    event_id: row.event_id,
    user_name: row.user_name,
    wiki: row.wiki,
    page_title: row.page_title,
    is_bot: row.is_bot,
    bytes_diff: row.bytes_diff,
  };
}
