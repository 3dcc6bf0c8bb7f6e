/**
 * The four Iceberg tables of the `wiki` namespace (DESIGN.md §3): column names, types,
 * field ids and partition specs. This file is the single source of truth that the
 * Parquet writer, the Avro manifests and the table metadata all read.
 */

/** Iceberg primitive types used by the lake. */
export type IcebergPrimitive = "string" | "int" | "long" | "double" | "boolean" | "timestamptz";

/** One column of a table schema. */
export interface ColumnSpec {
  readonly id: number;
  readonly name: string;
  readonly type: IcebergPrimitive;
  readonly required: boolean;
}

/** A day() partition over one timestamptz source column. */
export interface PartitionSpecField {
  readonly sourceId: number;
  readonly fieldId: number;
  readonly name: string;
  readonly transform: "day";
}

/** Everything a writer needs to know about one table. */
export interface TableSpec {
  readonly name: TableName;
  readonly columns: readonly ColumnSpec[];
  readonly partition: PartitionSpecField;
}

/** Names of the lake's tables (without the `wiki.` namespace). */
export type TableName =
  | "bronze_wiki_events"
  | "silver_wiki_events"
  | "quarantine_wiki_events"
  | "gold_wiki_kpis";

/** The namespace every table lives in. */
export const NAMESPACE = "wiki";

const col = (id: number, name: string, type: IcebergPrimitive, required = true): ColumnSpec => ({
  id,
  name,
  type,
  required,
});

/** bronze_wiki_events: one row per source event, partitioned by day(ingestion_time). */
export const BRONZE: TableSpec = {
  name: "bronze_wiki_events",
  columns: [
    col(1, "event_key", "string"),
    col(2, "raw_json", "string"),
    col(3, "topic", "string", false),
    col(4, "partition", "int", false),
    col(5, "offset", "long", false),
    col(6, "kafka_timestamp", "timestamptz", false),
    col(7, "ingestion_time", "timestamptz"),
  ],
  partition: { sourceId: 7, fieldId: 1000, name: "ingestion_time_day", transform: "day" },
};

/** silver_wiki_events: validated, enriched, deduplicated by event_id; day(event_time). */
export const SILVER: TableSpec = {
  name: "silver_wiki_events",
  columns: [
    col(1, "event_id", "string"),
    col(2, "event_time", "timestamptz"),
    col(3, "wiki", "string"),
    col(4, "server_name", "string", false),
    col(5, "page_title", "string"),
    col(6, "namespace", "int", false),
    col(7, "change_type", "string"),
    col(8, "user_name", "string"),
    col(9, "is_bot", "boolean"),
    col(10, "is_minor", "boolean"),
    col(11, "bytes_diff", "int"),
    col(12, "processing_delay_seconds", "long"),
    col(13, "edit_size", "string"),
    col(14, "user_type", "string"),
    col(15, "comment", "string", false),
    col(16, "revision_new", "long", false),
    col(17, "ingestion_time", "timestamptz"),
  ],
  partition: { sourceId: 2, fieldId: 1000, name: "event_time_day", transform: "day" },
};

/** quarantine_wiki_events: events that failed validation, with a reason; day(ingestion_time). */
export const QUARANTINE: TableSpec = {
  name: "quarantine_wiki_events",
  columns: [
    col(1, "event_key", "string"),
    col(2, "raw_json", "string"),
    col(3, "reason", "string"),
    col(4, "ingestion_time", "timestamptz"),
  ],
  partition: { sourceId: 4, fieldId: 1000, name: "ingestion_time_day", transform: "day" },
};

/** gold_wiki_kpis: one row per final 5-minute event-time window; day(window_start). */
export const GOLD: TableSpec = {
  name: "gold_wiki_kpis",
  columns: [
    col(1, "window_start", "timestamptz"),
    col(2, "window_end", "timestamptz"),
    col(3, "total_edits", "long"),
    col(4, "unique_editors", "long"),
    col(5, "active_pages", "long"),
    col(6, "bot_edits", "long"),
    col(7, "human_edits", "long"),
    col(8, "net_bytes_added", "long"),
    col(9, "avg_bytes_per_edit", "double"),
    col(10, "large_edits_count", "long"),
    col(11, "revert_like_edits", "long"),
    col(12, "volatility_score", "long"),
    col(13, "bot_edit_percentage", "double"),
    col(14, "edits_per_minute", "double"),
    col(15, "knowledge_trend", "string"),
  ],
  partition: { sourceId: 1, fieldId: 1000, name: "window_start_day", transform: "day" },
};

/** Every table, in the order init creates them. */
export const TABLES: readonly TableSpec[] = [BRONZE, SILVER, QUARANTINE, GOLD];

/** Looks a table up by name; throws RangeError for an unknown one. */
export function tableSpec(name: string): TableSpec {
  const spec = TABLES.find((t) => t.name === name);
  if (!spec) {
    throw new RangeError(`Unknown table "${name}"; expected one of ${TABLES.map((t) => t.name).join(", ")}`);
  }
  return spec;
}
