/**
 * Row shapes of the four tables as plain, structured-clone-safe objects. Timestamps are
 * epoch **milliseconds** (the precision of the source); the Parquet writer stores them as
 * microseconds. `null` marks an absent nullable value.
 */

/** A row of bronze_wiki_events. */
export interface BronzeRow {
  event_key: string;
  raw_json: string;
  topic: string | null;
  partition: number | null;
  offset: number | null;
  kafka_timestamp: number | null;
  ingestion_time: number;
}

/** A row of silver_wiki_events. */
export interface SilverRow {
  event_id: string;
  event_time: number;
  wiki: string;
  server_name: string | null;
  page_title: string;
  namespace: number | null;
  change_type: string;
  user_name: string;
  is_bot: boolean;
  is_minor: boolean;
  bytes_diff: number;
  processing_delay_seconds: number;
  edit_size: "SMALL" | "LARGE" | "LARGE_REMOVAL";
  user_type: "BOT" | "ANONYMOUS" | "REGISTERED";
  comment: string | null;
  revision_new: number | null;
  ingestion_time: number;
}

/** A row of quarantine_wiki_events. */
export interface QuarantineRow {
  event_key: string;
  raw_json: string;
  reason: string;
  ingestion_time: number;
}

/** A row of gold_wiki_kpis. */
export interface GoldRow {
  window_start: number;
  window_end: number;
  total_edits: number;
  unique_editors: number;
  active_pages: number;
  bot_edits: number;
  human_edits: number;
  net_bytes_added: number;
  avg_bytes_per_edit: number;
  large_edits_count: number;
  revert_like_edits: number;
  volatility_score: number;
  bot_edit_percentage: number;
  edits_per_minute: number;
  knowledge_trend: "GROWING" | "SHRINKING" | "STABLE";
}

/** Any table's row. */
export type AnyRow = BronzeRow | SilverRow | QuarantineRow | GoldRow;
