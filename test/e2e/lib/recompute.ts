/**
 * Independent recomputation of what the pipeline must produce from one `.jsonl` stream file:
 * the /api/health event counts, the silver rows (dedup by event id) and the gold KPI windows.
 * Rules and formulas are DuckDB SQL written from DESIGN.md §3 (see recompute_sql.ts); no
 * product code is imported. Times are epoch milliseconds.
 */
import fs from "node:fs";
import { DuckDBInstance } from "@duckdb/node-api";
import { RECOMPUTE_STATEMENTS, WATERMARK_LAG_MS, WINDOW_MS } from "./recompute_sql.ts";

export { WATERMARK_LAG_MS, WINDOW_MS };

/** One gold_wiki_kpis row (all 15 columns), times as epoch ms. */
export interface GoldWindow {
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
  knowledge_trend: string;
}

/** The silver columns that do not depend on when the pipeline ran (no ingestion_time). */
export interface SilverExpectation {
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
  edit_size: string;
  user_type: string;
  comment: string | null;
  revision_new: number | null;
}

/** An invalid (quarantine-bound) line: its 1-based line number and the first rule it breaks. */
export interface InvalidLine {
  line: number;
  reason: string;
}

/** Everything the pipeline must end up with after reading the whole stream once. */
export interface Recomputation {
  /** Non-blank lines = source events the replay server serves = `received`. */
  lines: number;
  canary: number;
  /** One bronze row per non-canary line (each line has its own stream position). */
  bronze: number;
  /** Valid non-canary lines, duplicates included. */
  valid: number;
  quarantine: number;
  /** Distinct valid event ids. */
  silver: number;
  /** valid − silver: rows not added to silver because their event_id was already there. */
  duplicate: number;
  /** Event ids that have valid copies with different content (expected 0: copies are identical). */
  conflictingDuplicates: number;
  /** Lines that are not valid UTF-8 (their raw bytes have no exact text form). */
  invalidUtf8: number;
  /** Sorted texts of the non-canary lines that are valid UTF-8 (bronze raw_json values). */
  bronzeRaw: string[];
  /** Sorted texts of the invalid lines that are valid UTF-8 (quarantine raw_json values). */
  quarantineRaw: string[];
  /** Sorted distinct valid event ids. */
  silverIds: string[];
  /** Silver rows, sorted by event_id. */
  silverRows: SilverExpectation[];
  invalidLines: InvalidLine[];
  /** Gold windows over all silver rows, sorted by window_start. */
  gold: GoldWindow[];
  /** Gold windows over the rows that were not late in stream order (rows before a correction). */
  goldOnTime: GoldWindow[];
  /** Distinct valid events that arrive after their window's end passed the watermark. */
  lateEvents: number;
  /** Starts of the windows that receive late events, ascending. */
  lateWindowStarts: number[];
  maxEventTime: number | null;
  /** maxEventTime − 10 min (DESIGN §3), null when there is no valid event. */
  watermark: number | null;
}

const sq = (s: string) => `'${s.replaceAll("'", "''")}'`;

function toPlain(value: unknown): unknown {
  if (typeof value === "bigint") {
    if (value > BigInt(Number.MAX_SAFE_INTEGER) || value < BigInt(Number.MIN_SAFE_INTEGER)) {
      throw new RangeError(`Value ${value} does not fit a JS number exactly`);
    }
    return Number(value);
  }
  return value;
}

function plainRows<T>(rows: Record<string, unknown>[]): T[] {
  return rows.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, toPlain(v)])) as T);
}

/** One non-blank line of the stream file. */
interface StreamLine {
  /** 1-based line number in the file (blank lines counted). */
  n: number;
  text: string;
  /** Valid UTF-8 and accepted by JSON.parse (DuckDB alone also accepts NaN, trailing commas…). */
  jsOk: boolean;
  /** The line is valid UTF-8 (else `text` is a lossy decoding). */
  utf8Ok: boolean;
}

const strictUtf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });
const lossyUtf8 = new TextDecoder("utf-8");

/**
 * Splits the file's bytes as the replay server does: on LF, a trailing CR dropped, lines of
 * only spaces/tabs skipped. A line that is not valid UTF-8 is kept (lossily decoded) as not JSON.
 */
export function readStreamLines(bytes: Uint8Array): StreamLine[] {
  const out: StreamLine[] = [];
  let start = 0;
  for (let n = 1; start < bytes.length; n++) {
    let end = bytes.indexOf(0x0a, start);
    if (end === -1) end = bytes.length;
    const raw = bytes.subarray(start, end > start && bytes[end - 1] === 0x0d ? end - 1 : end);
    start = end + 1;
    if (raw.every((b) => b === 0x20 || b === 0x09 || b === 0x0d)) continue;
    let text: string;
    let jsOk = true;
    let utf8Ok = true;
    try {
      text = strictUtf8.decode(raw);
    } catch {
      [text, jsOk, utf8Ok] = [lossyUtf8.decode(raw), false, false];
    }
    if (jsOk) {
      try {
        JSON.parse(text);
      } catch {
        jsOk = false;
      }
    }
    out.push({ n, text, jsOk, utf8Ok });
  }
  return out;
}

function strictUtf8Ok(bytes: Uint8Array): boolean {
  try {
    strictUtf8.decode(bytes);
    return true;
  } catch {
    return false;
  }
}

/** Recomputes counts, silver and gold for the `.jsonl` stream at `path` with DuckDB. */
export function recomputeStream(path: string): Promise<Recomputation> {
  const bytes = fs.readFileSync(path);
  return recomputeLines(readStreamLines(bytes), strictUtf8Ok(bytes) ? path : null);
}

/**
 * Recomputes counts, silver and gold for stream lines given as texts, in stream order (e.g.
 * the `data` of queue messages' events in sequence order). Line n is `texts[n - 1]`.
 */
export function recomputeTexts(texts: readonly string[]): Promise<Recomputation> {
  const lines = texts.map((text, i) => {
    let jsOk = true;
    try {
      JSON.parse(text);
    } catch {
      jsOk = false;
    }
    return { n: i + 1, text, jsOk, utf8Ok: true };
  });
  return recomputeLines(lines, null);
}

/** The recomputation over `lines`; `crossCheckPath` is the file DuckDB re-splits to check them. */
async function recomputeLines(lines: StreamLine[], crossCheckPath: string | null): Promise<Recomputation> {
  const path = crossCheckPath ?? "";
  const db = await DuckDBInstance.create(":memory:");
  const con = await db.connect();
  const all = async <T>(sql: string): Promise<T[]> =>
    plainRows<T>((await con.runAndReadAll(sql)).getRowObjectsJS());
  try {
    await con.run("SET TimeZone = 'UTC'");
    await con.run("CREATE TEMP TABLE lines (n BIGINT, line VARCHAR, js_ok BOOLEAN)");
    const appender = await con.createAppender("lines");
    for (const l of lines) {
      appender.appendBigInt(BigInt(l.n));
      appender.appendVarchar(l.text);
      appender.appendBoolean(l.jsOk);
      appender.endRow();
    }
    appender.closeSync();
    if (crossCheckPath !== null) {
      // Cross-check the splitting: DuckDB reads the same file itself and must see the same lines.
      const [{ diff }] = await all<{ diff: number }>(`
        WITH t AS (SELECT string_split(content, chr(10)) AS ls FROM read_text(${sq(path)})),
        d AS (SELECT unnest(range(1, len(ls) + 1)) AS n, regexp_replace(unnest(ls), '\r$', '') AS line FROM t)
        SELECT count(*) AS diff FROM (
          (SELECT n, line FROM d WHERE NOT regexp_matches(line, '^[ \t]*$') EXCEPT SELECT n, line FROM lines)
          UNION ALL (SELECT n, line FROM lines EXCEPT SELECT n, line FROM d))`);
      if (diff !== 0) {
        throw new Error(`DuckDB's read_text and Node split ${path} differently (${diff} lines)`);
      }
    }
    const [{ lenient }] = await all<{ lenient: number }>(
      "SELECT count(*) FILTER (WHERE js_ok AND NOT json_valid(line)) AS lenient FROM lines",
    );
    if (lenient > 0) {
      throw new Error(`${lenient} line(s) of ${path} parse in JS but not in DuckDB; cannot recompute`);
    }
    for (const sql of RECOMPUTE_STATEMENTS) await con.run(sql);

    type Lists =
      | "silverIds"
      | "silverRows"
      | "invalidLines"
      | "gold"
      | "goldOnTime"
      | "lateEvents"
      | "lateWindowStarts"
      | "bronzeRaw"
      | "quarantineRaw";
    const [c] = await all<Omit<Recomputation, Lists | "watermark" | "invalidUtf8">>(`
      SELECT (SELECT count(*) FROM classified) AS lines,
        (SELECT count(*) FROM classified WHERE is_canary) AS canary,
        (SELECT count(*) FROM classified WHERE NOT is_canary) AS bronze,
        (SELECT count(*) FROM valid) AS valid,
        (SELECT count(*) FROM classified WHERE NOT is_canary AND invalid_reason IS NOT NULL) AS quarantine,
        (SELECT count(*) FROM silver) AS silver,
        (SELECT count(*) FROM valid) - (SELECT count(*) FROM silver) AS duplicate,
        (SELECT count(*) FROM (SELECT event_id FROM valid GROUP BY event_id
           HAVING count(DISTINCT (event_time, wiki, server_name, page_title, namespace, change_type, user_name,
             is_bot, is_minor, bytes_diff, comment, revision_new)) > 1)) AS conflictingDuplicates,
        (SELECT max(event_time) FROM silver) AS maxEventTime`);
    const textsOf = async (where: string) => {
      const wanted = new Set(
        (await all<{ n: number }>(`SELECT n FROM classified WHERE ${where}`)).map((r) => r.n),
      );
      return lines.filter((l) => l.utf8Ok && wanted.has(l.n)).map((l) => l.text).sort();
    };
    const bronzeRaw = await textsOf("NOT is_canary");
    const quarantineRaw = await textsOf("NOT is_canary AND invalid_reason IS NOT NULL");
    const silverRows = await all<SilverExpectation>("SELECT * FROM silver ORDER BY event_id");
    const invalidLines = await all<InvalidLine>(
      "SELECT n AS line, invalid_reason AS reason FROM classified WHERE NOT is_canary AND invalid_reason IS NOT NULL ORDER BY n",
    );
    const gold = await all<GoldWindow>("SELECT * FROM gold ORDER BY window_start");
    const goldOnTime = await all<GoldWindow>("SELECT * FROM gold_on_time ORDER BY window_start");
    const late = await all<{ ws: number; n: number }>(
      "SELECT ws, count(*) AS n FROM judged WHERE is_late GROUP BY ws ORDER BY ws",
    );
    return {
      ...c,
      invalidUtf8: lines.filter((l) => !l.utf8Ok).length,
      bronzeRaw,
      quarantineRaw,
      silverIds: silverRows.map((r) => r.event_id),
      silverRows,
      invalidLines,
      gold,
      goldOnTime,
      lateEvents: late.reduce((n, w) => n + w.n, 0),
      lateWindowStarts: late.map((w) => w.ws),
      watermark: c.maxEventTime === null ? null : c.maxEventTime - WATERMARK_LAG_MS,
    };
  } finally {
    con.closeSync();
    db.closeSync();
  }
}

/** The `/api/health` `events` counts the pipeline must report after reading the stream once. */
export function expectedHealthEvents(r: Recomputation) {
  return {
    received: r.lines,
    canary: r.canary,
    bronze: r.bronze,
    silver: r.silver,
    quarantine: r.quarantine,
    duplicate: r.duplicate,
  };
}

/**
 * The windows that must be final for a given watermark: those whose end the watermark has
 * reached (`window_end ≤ watermark`). A window ending exactly at the watermark is an edge
 * DESIGN leaves open ("passes its end"); callers comparing final flags should skip it.
 */
export function expectedFinalWindows(rows: readonly GoldWindow[], watermark: number | null): GoldWindow[] {
  if (watermark === null) return [];
  return rows.filter((w) => w.window_end <= watermark);
}
