import { DurableObject } from "cloudflare:workers";
import type { SilverRow } from "../../r2/tables/rows.ts";
import {
  type BucketCount,
  GROUP_COLUMNS,
  type GroupColumn,
  type PageCount,
  planSegments,
  planSignedSegments,
  type RollupRange,
  whereOf,
  whereOfBlocks,
} from "./rollup_query.ts";

const COLUMNS = [
  "event_id",
  "event_time",
  "wiki",
  "server_name",
  "page_title",
  "namespace",
  "change_type",
  "user_name",
  "is_bot",
  "is_minor",
  "bytes_diff",
  "processing_delay_seconds",
  "edit_size",
  "user_type",
  "comment",
  "revision_new",
  "ingestion_time",
] as const;

/**
 * The rows are clustered by (event_time, event_id): a batch's inserts land on the few pages of its
 * minutes instead of one random page per row, which a random event_id key cost (the CPU profile's
 * largest SQLite item, bench/RESULTS.md). An event_id is still unique per event time; silver's
 * claims keep every event_id in silver, and so here, once.
 */
const EVENTS_TABLE =
  `CREATE TABLE IF NOT EXISTS events (event_id TEXT NOT NULL, event_time INTEGER NOT NULL, wiki TEXT NOT NULL,
   server_name TEXT, page_title TEXT NOT NULL, namespace INTEGER, change_type TEXT NOT NULL, user_name TEXT NOT NULL,
   is_bot INTEGER NOT NULL, is_minor INTEGER NOT NULL, bytes_diff INTEGER NOT NULL,
   processing_delay_seconds INTEGER NOT NULL, edit_size TEXT NOT NULL, user_type TEXT NOT NULL, comment TEXT,
   revision_new INTEGER, ingestion_time INTEGER NOT NULL, PRIMARY KEY (event_time, event_id)) WITHOUT ROWID`;

/** Rebuilds a day stored under the first layout (event_id as the key) in the clustered one. */
const MIGRATE_EVENTS = [
  "ALTER TABLE events RENAME TO events_by_id",
  EVENTS_TABLE,
  "INSERT INTO events SELECT * FROM events_by_id",
  "DROP TABLE events_by_id",
];

const SCHEMA = [
  EVENTS_TABLE,
  // Covering index of every drill-down but `recent`: range scans never visit the table (bench/RESULTS.md).
  `CREATE INDEX IF NOT EXISTS events_cover ON events
   (event_time, wiki, user_type, edit_size, change_type, is_bot, page_title, server_name)`,
  "DROP INDEX IF EXISTS events_by_time",
  "CREATE TABLE IF NOT EXISTS owners (owner TEXT PRIMARY KEY, added INTEGER NOT NULL) WITHOUT ROWID",
  ...["agg_m", "agg_h"].map((table) =>
    `CREATE TABLE IF NOT EXISTS ${table} (t INTEGER NOT NULL, wiki TEXT NOT NULL, user_type TEXT NOT NULL,
     edit_size TEXT NOT NULL, change_type TEXT NOT NULL, events INTEGER NOT NULL, bot INTEGER NOT NULL,
     PRIMARY KEY (t, wiki, user_type, edit_size, change_type)) WITHOUT ROWID`
  ),
  `CREATE TABLE IF NOT EXISTS pages_h (t INTEGER NOT NULL, wiki TEXT NOT NULL, page_title TEXT NOT NULL,
   user_type TEXT NOT NULL, edit_size TEXT NOT NULL, change_type TEXT NOT NULL, server_name TEXT,
   edits INTEGER NOT NULL, PRIMARY KEY (t, wiki, page_title, user_type, edit_size, change_type)) WITHOUT ROWID`,
  "CREATE TABLE IF NOT EXISTS rollup_meta (k TEXT PRIMARY KEY, v INTEGER NOT NULL) WITHOUT ROWID",
];

const MINUTE_MS = 60_000;
const HOUR_MS = 3_600_000;
const AGG_TABLE: Record<number, string> = { [MINUTE_MS]: "agg_m", [HOUR_MS]: "agg_h" };
const DIMS = "wiki, user_type, edit_size, change_type";
/**
 * Inserts one owner's rows, given as a JSON array of silver rows (?1), in one statement: SQLite
 * parses the array itself (json_each), so a batch costs one statement instead of four per row.
 * Returns the event ids that were new to the day.
 */
const INSERT_ROWS = `INSERT INTO events (${COLUMNS.join(", ")})
  SELECT ${COLUMNS.map((c) => `value ->> '${c}'`).join(", ")} FROM json_each(?1) WHERE true
  ON CONFLICT DO NOTHING RETURNING json_array(event_time, event_id) AS k`;
/** The rows just inserted: the JSON array ?1 of their `[event_time, event_id]` keys, joined by key. */
const FRESH_ROWS = `FROM json_each(?1) AS fresh CROSS JOIN events
   ON event_time = fresh.value ->> 0 AND event_id = fresh.value ->> 1 WHERE true`;
/**
 * Per-minute and per-hour counts and per-hour page counts of the rows whose keys are in the JSON
 * array ?1 of `[event_time, event_id]` (the rows just inserted), added to the existing buckets: one
 * statement per table, a primary-key lookup per row (the key list is the CROSS JOIN's outer loop).
 */
const UPSERTS = [
  ...Object.entries(AGG_TABLE).map(([unit, table]) =>
    `INSERT INTO ${table} SELECT event_time - event_time % ${unit}, ${DIMS}, count(*), sum(is_bot)
     ${FRESH_ROWS} GROUP BY 1, 2, 3, 4, 5
     ON CONFLICT DO UPDATE SET events = events + excluded.events, bot = bot + excluded.bot`
  ),
  `INSERT INTO pages_h SELECT event_time - event_time % ${HOUR_MS}, wiki, page_title, user_type, edit_size,
   change_type, max(server_name), count(*)
   ${FRESH_ROWS} GROUP BY 1, 2, 3, 4, 5, 6
   ON CONFLICT DO UPDATE SET edits = edits + excluded.edits, server_name = max(coalesce(server_name,
   excluded.server_name), coalesce(excluded.server_name, server_name))`,
];
/** Builds the aggregates of rows stored before they existed (once per object). */
const BACKFILL = [
  `INSERT INTO agg_m SELECT event_time - event_time % ${MINUTE_MS}, ${DIMS}, count(*), sum(is_bot) FROM events
   GROUP BY 1, 2, 3, 4, 5`,
  `INSERT INTO agg_h SELECT event_time - event_time % ${HOUR_MS}, ${DIMS}, count(*), sum(is_bot) FROM events
   GROUP BY 1, 2, 3, 4, 5`,
  `INSERT INTO pages_h SELECT event_time - event_time % ${HOUR_MS}, wiki, page_title, user_type, edit_size,
   change_type, max(server_name), count(*) FROM events GROUP BY 1, 2, 3, 4, 5, 6`,
];

type Row = Record<string, string | number | null | ArrayBuffer>;
type PageRow = { wiki: string; page_title: string; server_name: string | null; edits: number };

/** What `add()` did. */
export interface RollupAddResult {
  /** Rows new to this day (0 when the owner was fed before). */
  added: number;
  /** Whether the owner had been fed before (a redelivery). */
  repeated: boolean;
}

/**
 * EventsRollup: the silver rows of one UTC event-time day (instance name `YYYY-MM-DD`), fed
 * once per owner (a consumer batch id or a correction file) and keyed by (event_time, event_id),
 * so a redelivered batch never counts twice. Serves the drill-downs of DESIGN.md §6 by SQL over an
 * event_time index: exact for any range, and a row counts as soon as its batch is admitted.
 */
export class EventsRollup extends DurableObject<Env> {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.#init();
  }

  #init(): void {
    const sql = this.ctx.storage.sql;
    const layout = sql.exec<{ sql: string }>(
      "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'events'",
    )
      .toArray()[0]?.sql;
    if (layout?.includes("event_id TEXT PRIMARY KEY")) {
      this.ctx.storage.transactionSync(() => {
        for (const statement of MIGRATE_EVENTS) sql.exec(statement);
      });
    }
    for (const statement of SCHEMA) sql.exec(statement);
    if (!sql.exec("SELECT 1 FROM rollup_meta WHERE k = 'aggregates'").toArray().length) {
      this.ctx.storage.transactionSync(() => {
        for (const statement of BACKFILL) sql.exec(statement);
        sql.exec("INSERT INTO rollup_meta (k, v) VALUES ('aggregates', 1)");
      });
    }
  }

  /** Adds one owner's silver rows of this day (idempotent per owner and per event). */
  add(owner: string, rows: SilverRow[]): RollupAddResult {
    const sql = this.ctx.storage.sql;
    if (sql.exec("SELECT 1 FROM owners WHERE owner = ?", owner).toArray().length) {
      return { added: 0, repeated: true };
    }
    let added = 0;
    this.ctx.storage.transactionSync(() => {
      if (rows.length) {
        const fresh = sql.exec<{ k: string }>(INSERT_ROWS, JSON.stringify(rows)).toArray();
        added = fresh.length;
        if (added) {
          const keys = `[${fresh.map((r) => r.k).join(",")}]`;
          for (const upsert of UPSERTS) sql.exec(upsert, keys);
        }
      }
      sql.exec("INSERT INTO owners (owner, added) VALUES (?, ?)", owner, Date.now());
    });
    return { added, repeated: false };
  }

  /** Counts per bucket (bucket starts aligned to `bucketMs` from the epoch; a bucket may repeat). */
  timeseries(q: RollupRange, bucketMs: number): BucketCount[] {
    const units = [HOUR_MS, MINUTE_MS].filter((u) => bucketMs % u === 0);
    const parts = planSegments(q.from, q.to, units).map((seg) => {
      const w = seg.unit === null ? whereOf({ ...q, ...seg }) : whereOfBlocks(seg, q.filters);
      const select = seg.unit === null
        ? `SELECT event_time - (event_time % ?) AS b, count(*) AS events, sum(is_bot) AS bot FROM events`
        : `SELECT t - (t % ?) AS b, sum(events) AS events, sum(bot) AS bot FROM ${AGG_TABLE[seg.unit]}`;
      return { sql: `${select} WHERE ${w.sql} GROUP BY b`, args: [bucketMs, ...w.args] };
    });
    return this.#union<{ b: number; events: number; bot: number }>(parts)
      .map((r) => ({ t: r.b, events: r.events, bot: r.bot }));
  }

  /** Counts per value of one column (every value; a key may repeat: the caller merges and limits). */
  breakdown(q: RollupRange, by: GroupColumn): Array<{ key: string; events: number }> {
    if (!GROUP_COLUMNS.includes(by)) throw new RangeError(`cannot group by ${by}`);
    const parts = planSegments(q.from, q.to, [HOUR_MS, MINUTE_MS]).map((seg) => {
      const w = seg.unit === null ? whereOf({ ...q, ...seg }) : whereOfBlocks(seg, q.filters);
      const select = seg.unit === null
        ? `SELECT ${by} AS key, count(*) AS events FROM events`
        : `SELECT ${by} AS key, sum(events) AS events FROM ${AGG_TABLE[seg.unit]}`;
      return { sql: `${select} WHERE ${w.sql} GROUP BY ${by}`, args: w.args };
    });
    return this.#union<{ key: string; events: number }>(parts);
  }

  /** Edits per page, most edited first; `limit` null = every page (needed to merge days exactly). */
  topPages(q: RollupRange, limit: number | null): PageCount[] {
    const pages = this.#pagesSql(q, "");
    return this.ctx.storage.sql.exec<PageRow>(
      `${pages.sql} ORDER BY edits DESC, wiki ASC, page_title ASC${limit === null ? "" : " LIMIT ?"}`,
      ...pages.args,
      ...(limit === null ? [] : [limit]),
    ).toArray();
  }

  /** Exact edits of the given pages (`[wiki, page_title]`, at most 20,000) in the range. */
  pageCounts(q: RollupRange, pages: ReadonlyArray<readonly [string, string]>): PageCount[] {
    if (pages.length > 20_000) throw new RangeError(`at most 20000 pages, got ${pages.length}`);
    const keys = JSON.stringify(pages.map(([wiki, title]) => `${wiki}\u001f${title}`));
    const sql = this.#pagesSql(
      q,
      " AND wiki || char(31) || page_title IN (SELECT value FROM json_each(?))",
      keys,
    );
    return this.ctx.storage.sql.exec<PageRow>(sql.sql, ...sql.args).toArray();
  }

  /**
   * Page counts of the range in one statement (one consistent read): whole hours from `pages_h`,
   * each edge from its rows or from its hour minus the rows outside (`planSignedSegments`).
   */
  #pagesSql(q: RollupRange, extra: string, ...extraArgs: string[]) {
    const parts = planSignedSegments(q.from, q.to, HOUR_MS).map((seg) => {
      const w = seg.unit === null ? whereOf({ ...q, ...seg }) : whereOfBlocks(seg, q.filters);
      const select = seg.unit === null
        ? `SELECT wiki, page_title, server_name, ${seg.sign} AS edits FROM events`
        : "SELECT wiki, page_title, server_name, edits FROM pages_h";
      return { sql: `${select} WHERE ${w.sql}${extra}`, args: [...w.args, ...extraArgs] };
    });
    if (!parts.length) {
      parts.push({ sql: "SELECT wiki, page_title, server_name, 1 AS edits FROM events WHERE 0", args: [] });
    }
    return {
      // A page of a block whose edits all lie outside the range nets to 0: not in the range.
      sql: `SELECT wiki, page_title, max(server_name) AS server_name, sum(edits) AS edits FROM (${
        parts.map((p) => p.sql).join(" UNION ALL ")
      }) GROUP BY wiki, page_title HAVING sum(edits) > 0`,
      args: parts.flatMap((p) => p.args),
    };
  }

  /** Runs each part and concatenates the rows. */
  #union<T extends Record<string, SqlStorageValue>>(
    parts: Array<{ sql: string; args: Array<string | number> }>,
  ): T[] {
    return parts.flatMap((p) => this.ctx.storage.sql.exec<T>(p.sql, ...p.args).toArray());
  }

  /** The newest `limit` rows: event_time desc, ties by event_id asc. */
  recent(q: RollupRange, limit: number): SilverRow[] {
    const where = whereOf(q);
    return this.ctx.storage.sql.exec<Row>(
      `SELECT ${
        COLUMNS.join(", ")
      } FROM events WHERE ${where.sql} ORDER BY event_time DESC, event_id ASC LIMIT ?`,
      ...where.args,
      limit,
    ).toArray().map((r) =>
      ({ ...r, is_bot: r.is_bot === 1, is_minor: r.is_minor === 1 }) as unknown as SilverRow
    );
  }

  /**
   * Deletes this day's storage whole (the retention of ROLLUP_RETENTION_DAYS); answers the bytes
   * its SQLite held. The object is empty afterwards and is not written again (feeds and
   * drill-downs skip days past the retention).
   */
  async drop(): Promise<{ bytes_freed: number }> {
    const bytes = this.ctx.storage.sql.databaseSize;
    await this.ctx.storage.deleteAll();
    return { bytes_freed: bytes };
  }

  /** Forgets everything (admin reset). */
  async reset(): Promise<void> {
    await this.ctx.storage.deleteAll();
    this.#init();
  }
}
