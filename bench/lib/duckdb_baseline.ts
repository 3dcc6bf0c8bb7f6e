/**
 * The batch equivalent of the pipeline's work, done by DuckDB (@duckdb/node-api) on the same
 * stream file: read the JSON lines, drop canaries and lines that are not valid events, dedup by
 * `meta.id`, enrich into the silver columns, write silver as zstd Parquet, and compute the gold
 * 5-minute windows in SQL (written as Parquet too). The time of this is the yardstick of the
 * throughput suite. Written from DESIGN.md §3; no product code is imported.
 */
import { mkdirSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";

/** What the batch run did and how long it took. */
export interface BaselineReport {
  seconds: number;
  silverRows: number;
  goldWindows: number;
  silverBytes: number;
}

const sq = (s: string) => `'${s.replaceAll("'", "''")}'`;

/** Runs the batch equivalent over `stream` (.jsonl), writing into `outDir`. */
export async function duckdbBaseline(stream: string, outDir: string): Promise<BaselineReport> {
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  const silverPath = join(outDir, "silver.parquet");
  const goldPath = join(outDir, "gold.parquet");
  const started = performance.now();
  const db = await DuckDBInstance.create(":memory:");
  const con = await db.connect();
  try {
    await con.run("SET TimeZone = 'UTC'");
    // Lines that are not JSON objects are skipped by ignore_errors (the pipeline quarantines them).
    await con.run(`
      CREATE TEMP TABLE raw AS
      SELECT * FROM read_json(${sq(stream)}, format = 'newline_delimited', ignore_errors = true,
        columns = {meta: 'STRUCT(id VARCHAR, dt VARCHAR, domain VARCHAR)', type: 'VARCHAR',
                   wiki: 'VARCHAR', title: 'VARCHAR', "user": 'VARCHAR', bot: 'BOOLEAN',
                   minor: 'BOOLEAN', namespace: 'BIGINT', server_name: 'VARCHAR', comment: 'VARCHAR',
                   "timestamp": 'BIGINT', length: 'STRUCT(old BIGINT, new BIGINT)',
                   revision: 'STRUCT(old BIGINT, new BIGINT)'})`);
    await con.run(`
      CREATE TEMP TABLE silver AS
      WITH valid AS (
        SELECT *, coalesce(try_cast(meta.dt AS TIMESTAMPTZ), to_timestamp("timestamp")) AS event_time,
               coalesce(length.new, 0) - coalesce(length.old, 0) AS bytes_diff
        FROM raw
        WHERE coalesce(meta.domain, '') <> 'canary' AND meta.id IS NOT NULL AND type IS NOT NULL
          AND wiki IS NOT NULL AND title IS NOT NULL AND "user" IS NOT NULL
          AND (meta.dt IS NOT NULL OR "timestamp" IS NOT NULL)
      )
      SELECT meta.id AS event_id, event_time, wiki, server_name, title AS page_title, namespace,
             type AS change_type, "user" AS user_name, coalesce(bot, false) AS is_bot,
             coalesce(minor, false) AS is_minor, bytes_diff,
             CASE WHEN bytes_diff > 500 THEN 'LARGE' WHEN bytes_diff < -500 THEN 'LARGE_REMOVAL' ELSE 'SMALL' END AS edit_size,
             CASE WHEN coalesce(bot, false) THEN 'BOT'
                  WHEN regexp_matches("user", '^(\\d{1,3}\\.){3}\\d{1,3}$|:|^~') THEN 'ANONYMOUS'
                  ELSE 'REGISTERED' END AS user_type,
             comment, revision.new AS revision_new, now() AS ingestion_time
      FROM valid
      QUALIFY row_number() OVER (PARTITION BY meta.id ORDER BY event_time) = 1`);
    await con.run(`COPY silver TO ${sq(silverPath)} (FORMAT parquet, COMPRESSION zstd)`);
    await con.run(`
      CREATE TEMP TABLE gold AS
      SELECT time_bucket(INTERVAL 5 MINUTE, event_time) AS window_start,
             time_bucket(INTERVAL 5 MINUTE, event_time) + INTERVAL 5 MINUTE AS window_end,
             count(*) AS total_edits, count(DISTINCT user_name) AS unique_editors,
             count(DISTINCT (wiki, page_title)) AS active_pages,
             count(*) FILTER (WHERE is_bot) AS bot_edits, count(*) FILTER (WHERE NOT is_bot) AS human_edits,
             sum(bytes_diff) AS net_bytes_added, sum(bytes_diff) / count(*) AS avg_bytes_per_edit,
             count(*) FILTER (WHERE bytes_diff > 500) AS large_edits_count,
             count(*) FILTER (WHERE bytes_diff < -500) AS revert_like_edits,
             sum(abs(bytes_diff)) AS volatility_score,
             100.0 * count(*) FILTER (WHERE is_bot) / count(*) AS bot_edit_percentage,
             count(*) / 5.0 AS edits_per_minute,
             CASE WHEN sum(bytes_diff) > 0 THEN 'GROWING' WHEN sum(bytes_diff) < 0 THEN 'SHRINKING' ELSE 'STABLE' END AS knowledge_trend
      FROM silver GROUP BY ALL ORDER BY window_start`);
    await con.run(`COPY gold TO ${sq(goldPath)} (FORMAT parquet, COMPRESSION zstd)`);
    const seconds = (performance.now() - started) / 1000;
    const count = async (table: string) =>
      Number((await con.runAndReadAll(`SELECT count(*) AS n FROM ${table}`)).getRowObjectsJS()[0]!.n);
    return {
      seconds,
      silverRows: await count("silver"),
      goldWindows: await count("gold"),
      silverBytes: statSync(silverPath).size,
    };
  } finally {
    con.closeSync();
    db.closeSync();
  }
}
