/**
 * Vitest globalSetup of the workerd project (runs in Node): derives silver-like rows from
 * `testdata/synth-1000-seed7.jsonl` with DuckDB SQL (times shifted to 2031 so no other test's
 * rows share their days), and computes with DuckDB SQL — never the product's code — the
 * expected answer of every drill-down case in `drilldown_cases.ts`. The workerd test feeds the
 * rows through the pipeline's rollup feed and compares the routes' answers with these.
 */
import { DuckDBInstance } from "@duckdb/node-api";
import { resolve } from "node:path";
import type { TestProject } from "vitest/node";
import { type DrilldownCase, drilldownCases, type DrilldownFixture, SHIFT_MS } from "./drilldown_cases.ts";

declare module "vitest" {
  export interface ProvidedContext {
    drilldown: DrilldownFixture;
  }
}

const INPUT = resolve(import.meta.dirname, "../../testdata/synth-1000-seed7.jsonl");

/** DuckDB SQL deriving the `silver` table (DESIGN.md §3 rules) from the input file. */
export const SILVER_SQL = `
CREATE TABLE lines AS SELECT row_number() OVER () AS n, line
  FROM read_csv('${INPUT}', columns={'line':'VARCHAR'}, delim=E'\\x01', quote='', escape='', header=false,
                ignore_errors=true, strict_mode=false);
CREATE TABLE parsed AS SELECT n,
  line->>'$.meta.id' AS event_id,
  epoch_ms(TRY_CAST(line->>'$.meta.dt' AS TIMESTAMPTZ)) + ${SHIFT_MS} AS event_time,
  line->>'$.wiki' AS wiki, line->>'$.server_name' AS server_name, line->>'$.title' AS page_title,
  TRY_CAST(line->>'$.namespace' AS INTEGER) AS namespace, line->>'$.type' AS change_type,
  line->>'$.user' AS user_name, coalesce(TRY_CAST(line->>'$.bot' AS BOOLEAN), false) AS is_bot,
  coalesce(TRY_CAST(line->>'$.minor' AS BOOLEAN), false) AS is_minor,
  coalesce(TRY_CAST(line->>'$.length.new' AS INTEGER), 0) - coalesce(TRY_CAST(line->>'$.length.old' AS INTEGER), 0) AS bytes_diff,
  line->>'$.comment' AS comment, TRY_CAST(line->>'$.revision.new' AS BIGINT) AS revision_new,
  line->>'$.meta.domain' AS domain,
  json_type(line, '$.user') AS user_json, json_type(line, '$.namespace') AS ns_json
  FROM lines WHERE json_valid(line) AND json_type(line) = 'OBJECT';
CREATE TABLE silver AS SELECT event_id, event_time, wiki, server_name, page_title, namespace, change_type, user_name,
  is_bot, is_minor, bytes_diff, 3 AS processing_delay_seconds,
  CASE WHEN bytes_diff > 500 THEN 'LARGE' WHEN bytes_diff < -500 THEN 'LARGE_REMOVAL' ELSE 'SMALL' END AS edit_size,
  CASE WHEN is_bot THEN 'BOT'
       WHEN starts_with(user_name, '~') OR regexp_full_match(user_name, '\\d{1,3}(\\.\\d{1,3}){3}')
         OR (contains(user_name, ':') AND regexp_full_match(user_name, '[0-9A-Fa-f:.]+')) THEN 'ANONYMOUS'
       ELSE 'REGISTERED' END AS user_type,
  comment, revision_new, event_time + 3000 AS ingestion_time, n
  FROM parsed
  WHERE event_id IS NOT NULL AND event_time IS NOT NULL AND wiki IS NOT NULL AND page_title IS NOT NULL
    AND user_json = 'VARCHAR' AND (ns_json IS NULL OR ns_json IN ('UBIGINT', 'BIGINT'))
    AND change_type IN ('edit', 'new', 'log', 'categorize', 'external') AND coalesce(domain, '') <> 'canary'
  QUALIFY row_number() OVER (PARTITION BY event_id ORDER BY n) = 1;
`;

function whereOf(c: DrilldownCase): string {
  const p = c.params;
  const parts = [`event_time >= ${Date.parse(p.from!)}`, `event_time < ${Date.parse(p.to!)}`];
  for (const k of ["wiki", "user_type", "edit_size", "change_type"] as const) {
    if (p[k] !== undefined) parts.push(`${k} = '${p[k]!.replaceAll("'", "''")}'`);
  }
  return parts.join(" AND ");
}

const iso = (ms: bigint | number) => new Date(Number(ms)).toISOString();
const num = (v: unknown) => Number(v);

export default async function setup(project: TestProject) {
  const db = await DuckDBInstance.create(":memory:");
  const con = await db.connect();
  await con.run("SET TimeZone = 'UTC'");
  await con.run(SILVER_SQL);
  const all = async (sql: string) => (await con.runAndReadAll(sql)).getRowObjects();
  const rows = (await all("SELECT * EXCLUDE (n) FROM silver ORDER BY n")).map((r) => ({
    ...r,
    event_time: num(r.event_time),
    ingestion_time: num(r.ingestion_time),
    namespace: r.namespace === null ? null : num(r.namespace),
    bytes_diff: num(r.bytes_diff),
    processing_delay_seconds: num(r.processing_delay_seconds),
    revision_new: r.revision_new === null ? null : num(r.revision_new),
  }));
  const eventTimes = rows.map((r) => r.event_time as number).sort((a, b) => a - b);
  const cases = drilldownCases(eventTimes);
  const expected: unknown[] = [];
  for (const c of cases) {
    const where = whereOf(c);
    const p = c.params;
    const echo = {
      from: iso(Date.parse(p.from!)),
      to: iso(Date.parse(p.to!)),
      filters: Object.fromEntries(
        (["wiki", "user_type", "edit_size", "change_type"] as const).filter((k) => p[k] !== undefined).map((
          k,
        ) => [k, p[k]]),
      ),
    };
    if (c.path === "timeseries") {
      const ms = { "1m": 60_000, "5m": 300_000, "1h": 3_600_000 }[p.bucket ?? "5m"]!;
      const from = Date.parse(p.from!);
      const to = Date.parse(p.to!);
      const points = await all(`
        WITH buckets AS (SELECT unnest(range(${
        Math.floor(from / ms) * ms
      }::BIGINT, ${to}::BIGINT, ${ms}::BIGINT)) AS t),
        counts AS (SELECT event_time // ${ms} * ${ms} AS t, count(*) AS events, count(*) FILTER (WHERE is_bot) AS bot
                   FROM silver WHERE ${where} GROUP BY 1)
        SELECT b.t, coalesce(events, 0) AS events, coalesce(bot, 0) AS bot, coalesce(events, 0) - coalesce(bot, 0) AS human
        FROM buckets b LEFT JOIN counts USING (t) ORDER BY b.t`);
      expected.push({
        ...echo,
        bucket: p.bucket ?? "5m",
        points: points.map((r) => ({
          t: iso(r.t as bigint),
          events: num(r.events),
          bot: num(r.bot),
          human: num(r.human),
        })),
      });
    } else if (c.path === "breakdown") {
      const got = await all(`SELECT ${p.by} AS key, count(*) AS events FROM silver WHERE ${where}
        GROUP BY 1 ORDER BY events DESC, key COLLATE "binary" ASC LIMIT ${p.limit ?? 20}`);
      expected.push({ ...echo, by: p.by, rows: got.map((r) => ({ key: r.key, events: num(r.events) })) });
    } else if (c.path === "top-pages") {
      const got = await all(`SELECT wiki, page_title, count(*) AS edits,
          'https://' || max(server_name) || '/wiki/' || url_encode(replace(page_title, ' ', '_')) AS url
        FROM silver WHERE ${where} GROUP BY wiki, page_title
        ORDER BY edits DESC, wiki ASC, page_title ASC LIMIT ${p.limit ?? 10}`);
      expected.push({ ...echo, rows: got.map((r) => ({ ...r, edits: num(r.edits) })) });
    } else {
      const got = await all(`SELECT * EXCLUDE (n) FROM silver WHERE ${where}
        ORDER BY event_time DESC, event_id ASC LIMIT ${p.limit ?? 50}`);
      expected.push({
        ...echo,
        events: got.map((r) => ({
          ...r,
          event_time: iso(r.event_time as bigint),
          ingestion_time: iso(r.ingestion_time as bigint),
          namespace: r.namespace === null ? null : num(r.namespace),
          bytes_diff: num(r.bytes_diff),
          processing_delay_seconds: num(r.processing_delay_seconds),
          revision_new: r.revision_new === null ? null : num(r.revision_new),
        })),
      });
    }
  }
  con.closeSync();
  project.provide("drilldown", JSON.parse(JSON.stringify({ rows, cases, expected })));
}
