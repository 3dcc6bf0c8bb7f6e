/**
 * The SQL of the independent recomputation (DuckDB dialect), written from DESIGN.md §3 and
 * sharing no code with the product. Input: a table `lines(n BIGINT, line VARCHAR, js_ok BOOLEAN)`
 * with one row per non-blank stream line (`js_ok` = the line passes a strict JSON parse).
 * Output tables: `classified`, `silver`, `gold`, `judged` (lateness per event), `gold_on_time`. Times are epoch milliseconds (BIGINT).
 */

/** Window width and watermark lag of DESIGN.md §3, in milliseconds. */
export const WINDOW_MS = 300_000;
/** The event-time watermark trails the largest event_time seen by this much. */
export const WATERMARK_LAG_MS = 600_000;

const IPV4 = String
  .raw`^((25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])\.){3}(25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])$`;
const H = "[0-9a-fA-F]{1,4}";
const IPV6 =
  `^((${H}:){7}${H}|(${H}:){1,7}:|(${H}:){1,6}:${H}|(${H}:){1,5}(:${H}){1,2}|(${H}:){1,4}(:${H}){1,3}|` +
  `(${H}:){1,3}(:${H}){1,4}|(${H}:){1,2}(:${H}){1,5}|${H}:(:${H}){1,6}|:((:${H}){1,7}|:))$`;

/** RFC 3339 date-time: a calendar date, `T`, a time and a zone (Z or ±hh:mm); DuckDB then checks the values. */
const DT = String.raw`^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$`;
const INT32_MAX = 2 ** 31 - 1;
const SAFE_MAX = Number.MAX_SAFE_INTEGER;
/** Largest |epoch ms| a JS Date holds. */
const MAX_TIME_MS = 8.64e15;

/** A JSON value at `path` is present: neither absent nor an explicit `null`. */
const present = (t: string) => `coalesce(${t}, 'NULL') <> 'NULL'`;
/** JSON integer, as JavaScript's Number.isInteger sees it (1.0 and 1e2 count). */
const isInt = (t: string, v: string) =>
  `(${t} IN ('BIGINT', 'UBIGINT') OR (${t} = 'DOUBLE' AND isfinite(${v}) AND ${v} = floor(${v})))`;
/** The number at `path` as a DOUBLE (NULL when absent or not a number). */
const num = (path: string) =>
  `CASE WHEN json_type(line, '${path}') IN ('BIGINT', 'UBIGINT', 'DOUBLE') THEN json_extract(line, '${path}')::DOUBLE END`;

/** Fields read from every JSON object line (types via json_type, NULL = absent). */
const EXTRACT = `
CREATE TEMP TABLE fields AS
SELECT n, line,
  json_extract_string(line, '$.meta.domain') AS domain, json_type(line, '$.meta.domain') AS t_domain,
  json_type(line, '$.meta.id') AS t_id, json_extract_string(line, '$.meta.id') AS event_id,
  json_type(line, '$.type') AS t_type, json_extract_string(line, '$.type') AS change_type,
  json_type(line, '$.wiki') AS t_wiki, json_extract_string(line, '$.wiki') AS wiki,
  json_type(line, '$.title') AS t_title, json_extract_string(line, '$.title') AS page_title,
  json_type(line, '$.user') AS t_user, json_extract_string(line, '$.user') AS user_name,
  json_type(line, '$.meta.dt') AS t_dt, json_extract_string(line, '$.meta.dt') AS dt,
  json_type(line, '$.timestamp') AS t_ts, ${num("$.timestamp")} AS ts,
  json_type(line, '$.namespace') AS t_ns, ${
  num("$.namespace")
} AS ns, json_type(line, '$.bot') AS t_bot, json_type(line, '$.minor') AS t_minor,
  json_type(line, '$.server_name') AS t_server, json_type(line, '$.comment') AS t_comment,
  json_type(line, '$.length') AS t_len,
  json_type(line, '$.length.new') AS t_len_new, ${num("$.length.new")} AS len_new,
  json_type(line, '$.length.old') AS t_len_old, ${num("$.length.old")} AS len_old,
  json_type(line, '$.revision') AS t_rev, json_type(line, '$.revision.new') AS t_rev_new, ${
  num("$.revision.new")
} AS rev_new
FROM lines WHERE CASE WHEN js_ok AND json_valid(line) THEN json_type(line) = 'OBJECT' ELSE false END`;

/** meta.dt as epoch ms when it is an RFC 3339 string DuckDB can read, else NULL. */
const DT_MS = `CASE WHEN ${present("f.t_dt")} AND f.t_dt = 'VARCHAR' AND regexp_matches(f.dt, '${DT}') ` +
  `THEN epoch_ms(try_cast(upper(f.dt) AS TIMESTAMPTZ)) END`;

/** One row per line: canary, valid (with event_time) or invalid (with a reason). */
const CLASSIFY = `
CREATE TEMP TABLE classified AS
WITH f AS (
  SELECT l.n, l.line, l.js_ok, (f.n IS NOT NULL) AS is_object, f.* EXCLUDE (n, line),
    ${DT_MS} AS dt_ms
  FROM lines l LEFT JOIN fields f USING (n)
)
SELECT n, line, event_id,
  coalesce(is_object AND t_domain = 'VARCHAR' AND domain = 'canary', false) AS is_canary,
  CASE
    WHEN NOT js_ok THEN 'not JSON'
    WHEN NOT is_object THEN 'not a JSON object'
    WHEN NOT ${present("t_id")} THEN 'missing meta.id'
    WHEN NOT ${present("t_type")} THEN 'missing type'
    WHEN NOT ${present("t_wiki")} THEN 'missing wiki'
    WHEN NOT ${present("t_title")} THEN 'missing title'
    WHEN NOT ${present("t_user")} THEN 'missing user'
    WHEN t_id <> 'VARCHAR' THEN 'wrong type: meta.id'
    WHEN t_type <> 'VARCHAR' THEN 'wrong type: type'
    WHEN t_wiki <> 'VARCHAR' THEN 'wrong type: wiki'
    WHEN t_title <> 'VARCHAR' THEN 'wrong type: title'
    WHEN t_user <> 'VARCHAR' THEN 'wrong type: user'
    WHEN change_type NOT IN ('edit', 'new', 'log', 'categorize', 'external') THEN 'unknown type'
    WHEN NOT ${present("t_dt")} AND NOT ${present("t_ts")} THEN 'missing meta.dt and timestamp'
    WHEN ${present("t_dt")} AND t_dt <> 'VARCHAR' THEN 'wrong type: meta.dt'
    WHEN ${present("t_dt")} AND dt_ms IS NULL THEN 'unparseable meta.dt'
    WHEN ${present("t_ts")} AND NOT ${isInt("t_ts", "ts")} THEN 'wrong type: timestamp'
    WHEN ${present("t_ns")} AND NOT ${isInt("t_ns", "ns")} THEN 'wrong type: namespace'
    WHEN ${present("t_bot")} AND t_bot <> 'BOOLEAN' THEN 'wrong type: bot'
    WHEN ${present("t_minor")} AND t_minor <> 'BOOLEAN' THEN 'wrong type: minor'
    WHEN ${present("t_server")} AND t_server <> 'VARCHAR' THEN 'wrong type: server_name'
    WHEN ${present("t_comment")} AND t_comment <> 'VARCHAR' THEN 'wrong type: comment'
    WHEN ${present("t_len")} AND t_len <> 'OBJECT' THEN 'wrong type: length'
    WHEN ${present("t_len_new")} AND NOT ${isInt("t_len_new", "len_new")} THEN 'wrong type: length.new'
    WHEN ${present("t_len_old")} AND NOT ${isInt("t_len_old", "len_old")} THEN 'wrong type: length.old'
    WHEN ${present("t_rev")} AND t_rev <> 'OBJECT' THEN 'wrong type: revision'
    WHEN ${present("t_rev_new")} AND NOT ${isInt("t_rev_new", "rev_new")} THEN 'wrong type: revision.new'
    WHEN NOT ${present("t_dt")} AND abs(ts) * 1000 > ${MAX_TIME_MS} THEN 'timestamp out of range'
    WHEN abs(ns) > ${INT32_MAX} THEN 'namespace out of range'
    WHEN abs(len_new) > ${SAFE_MAX} OR abs(len_old) > ${SAFE_MAX} OR abs(rev_new) > ${SAFE_MAX} THEN 'integer out of range'
    WHEN abs(coalesce(len_new, 0) - coalesce(len_old, 0)) > ${INT32_MAX} THEN 'bytes_diff out of range'
  END AS invalid_reason,
  coalesce(dt_ms, (ts * 1000)::BIGINT) AS event_time
FROM f`;

/** Silver: valid non-canary lines, enriched, first copy of each event_id kept. */
const SILVER = `
CREATE TEMP TABLE valid AS
SELECT c.n, c.event_id, c.event_time,
  json_extract_string(c.line, '$.wiki') AS wiki,
  json_extract_string(c.line, '$.server_name') AS server_name,
  json_extract_string(c.line, '$.title') AS page_title,
  json_extract(c.line, '$.namespace')::DOUBLE::INTEGER AS namespace,
  json_extract_string(c.line, '$.type') AS change_type,
  json_extract_string(c.line, '$.user') AS user_name,
  coalesce(json_extract(c.line, '$.bot')::BOOLEAN, false) AS is_bot,
  coalesce(json_extract(c.line, '$.minor')::BOOLEAN, false) AS is_minor,
  (coalesce(json_extract(c.line, '$.length.new')::DOUBLE, 0) - coalesce(json_extract(c.line, '$.length.old')::DOUBLE, 0))::BIGINT AS bytes_diff,
  json_extract_string(c.line, '$.comment') AS comment,
  json_extract(c.line, '$.revision.new')::DOUBLE::BIGINT AS revision_new
FROM classified c WHERE NOT c.is_canary AND c.invalid_reason IS NULL;

CREATE TEMP TABLE silver AS
SELECT event_id, event_time, wiki, server_name, page_title, namespace, change_type, user_name, is_bot, is_minor,
  bytes_diff,
  CASE WHEN bytes_diff > 500 THEN 'LARGE' WHEN bytes_diff < -500 THEN 'LARGE_REMOVAL' ELSE 'SMALL' END AS edit_size,
  CASE WHEN is_bot THEN 'BOT'
       WHEN regexp_matches(user_name, '${IPV4}') OR regexp_matches(user_name, '${IPV6}') OR starts_with(user_name, '~')
         THEN 'ANONYMOUS'
       ELSE 'REGISTERED' END AS user_type,
  comment, revision_new
FROM (SELECT DISTINCT ON (event_id) * FROM valid ORDER BY event_id, n)`;

/**
 * The 15 columns of gold_wiki_kpis per 5-minute event-time window over the rows of `source`
 * (a table or a parenthesised query with event_time, user_name, wiki, page_title, is_bot and
 * bytes_diff), as `CREATE TEMP TABLE target`.
 */
export const goldOf = (target: string, source: string): string => `
CREATE TEMP TABLE ${target} AS
WITH w AS (
  SELECT *, event_time - (((event_time % ${WINDOW_MS}) + ${WINDOW_MS}) % ${WINDOW_MS}) AS window_start FROM ${source}
), a AS (
  SELECT window_start, window_start + ${WINDOW_MS} AS window_end,
    count(*) AS total_edits,
    count(DISTINCT user_name) AS unique_editors,
    count(DISTINCT (wiki, page_title)) AS active_pages,
    count(*) FILTER (WHERE is_bot) AS bot_edits,
    count(*) FILTER (WHERE NOT is_bot) AS human_edits,
    sum(bytes_diff)::BIGINT AS net_bytes_added,
    count(*) FILTER (WHERE bytes_diff > 500) AS large_edits_count,
    count(*) FILTER (WHERE bytes_diff < -500) AS revert_like_edits,
    sum(abs(bytes_diff))::BIGINT AS volatility_score
  FROM w GROUP BY window_start
)
SELECT window_start, window_end, total_edits, unique_editors, active_pages, bot_edits, human_edits,
  net_bytes_added,
  net_bytes_added::DOUBLE / total_edits::DOUBLE AS avg_bytes_per_edit,
  large_edits_count, revert_like_edits, volatility_score,
  (100 * bot_edits)::DOUBLE / total_edits::DOUBLE AS bot_edit_percentage,
  total_edits::DOUBLE / 5::DOUBLE AS edits_per_minute,
  CASE WHEN net_bytes_added > 0 THEN 'GROWING' WHEN net_bytes_added < 0 THEN 'SHRINKING' ELSE 'STABLE' END
    AS knowledge_trend
FROM a ORDER BY window_start`;

/** Gold over all silver rows: what every final row equals after a correction. */
const GOLD = goldOf("gold", "silver");

/**
 * Lateness in stream order (DESIGN §3 watermark): the first copy of each event id, taken in line
 * order, is late when the watermark of the rows before it — their largest event_time − 10 min —
 * has reached its window's end. `gold_on_time` is gold over the rows that were not late: what a
 * final row holds before any correction.
 */
const LATENESS = `${judgedOf("judged", "valid")};
${goldOf("gold_on_time", "(SELECT * FROM judged WHERE NOT is_late)")}`;

/**
 * `CREATE TEMP TABLE target`: the first copy of each event_id of `source` (columns n — the
 * stream position — event_id, event_time, …), with `ws` (its window start), `watermark_before`
 * and `is_late` judged in stream order as DESIGN §3 says.
 */
export function judgedOf(target: string, source: string): string {
  return `
CREATE TEMP TABLE ${target} AS
WITH first AS (SELECT DISTINCT ON (event_id) * FROM ${source} ORDER BY event_id, n),
r AS (
  SELECT *, event_time - (((event_time % ${WINDOW_MS}) + ${WINDOW_MS}) % ${WINDOW_MS}) AS ws,
    max(event_time) OVER (ORDER BY n ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) - ${WATERMARK_LAG_MS}
      AS watermark_before
  FROM first
)
SELECT *, coalesce(watermark_before >= ws + ${WINDOW_MS}, false) AS is_late FROM r`;
}

/** Every statement of the recomputation, in order. */
export const RECOMPUTE_STATEMENTS: readonly string[] = [EXTRACT, CLASSIFY, SILVER, GOLD, LATENESS];
