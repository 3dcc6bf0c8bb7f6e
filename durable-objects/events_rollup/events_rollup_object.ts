import { DurableObject } from "cloudflare:workers";
import type { SilverRow } from "../../r2/tables/rows.ts";
import {
  type BucketCount,
  GROUP_COLUMNS,
  type GroupColumn,
  type PageCount,
  type RollupRange,
  whereOf,
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

const SCHEMA = [
  `CREATE TABLE IF NOT EXISTS events (event_id TEXT PRIMARY KEY, event_time INTEGER NOT NULL, wiki TEXT NOT NULL,
   server_name TEXT, page_title TEXT NOT NULL, namespace INTEGER, change_type TEXT NOT NULL, user_name TEXT NOT NULL,
   is_bot INTEGER NOT NULL, is_minor INTEGER NOT NULL, bytes_diff INTEGER NOT NULL,
   processing_delay_seconds INTEGER NOT NULL, edit_size TEXT NOT NULL, user_type TEXT NOT NULL, comment TEXT,
   revision_new INTEGER, ingestion_time INTEGER NOT NULL) WITHOUT ROWID`,
  // Covering index of every drill-down but `recent`: range scans never visit the table (bench/RESULTS.md).
  `CREATE INDEX IF NOT EXISTS events_cover ON events
   (event_time, wiki, user_type, edit_size, change_type, is_bot, page_title, server_name)`,
  "DROP INDEX IF EXISTS events_by_time",
  "CREATE TABLE IF NOT EXISTS owners (owner TEXT PRIMARY KEY, added INTEGER NOT NULL) WITHOUT ROWID",
];

type Row = Record<string, string | number | null | ArrayBuffer>;

/** What `add()` did. */
export interface RollupAddResult {
  /** Rows new to this day (0 when the owner was fed before). */
  added: number;
  /** Whether the owner had been fed before (a redelivery). */
  repeated: boolean;
}

/**
 * EventsRollup: the silver rows of one UTC event-time day (instance name `YYYY-MM-DD`), fed
 * once per owner (a consumer batch id or a correction file) and keyed by event_id, so a
 * redelivered batch never counts twice. Serves the drill-downs of DESIGN.md §6 by SQL over an
 * event_time index: exact for any range, and a row counts as soon as its batch is admitted.
 */
export class EventsRollup extends DurableObject<Env> {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    for (const statement of SCHEMA) ctx.storage.sql.exec(statement);
  }

  /** Adds one owner's silver rows of this day (idempotent per owner and per event_id). */
  add(owner: string, rows: SilverRow[]): RollupAddResult {
    const sql = this.ctx.storage.sql;
    if (sql.exec("SELECT 1 FROM owners WHERE owner = ?", owner).toArray().length) {
      return { added: 0, repeated: true };
    }
    let added = 0;
    const insert = `INSERT INTO events (${COLUMNS.join(", ")}) VALUES (${
      COLUMNS.map(() => "?").join(", ")
    }) ON CONFLICT DO NOTHING RETURNING event_id`;
    this.ctx.storage.transactionSync(() => {
      for (const r of rows) {
        added += sql.exec(
          insert,
          r.event_id,
          r.event_time,
          r.wiki,
          r.server_name,
          r.page_title,
          r.namespace,
          r.change_type,
          r.user_name,
          r.is_bot ? 1 : 0,
          r.is_minor ? 1 : 0,
          r.bytes_diff,
          r.processing_delay_seconds,
          r.edit_size,
          r.user_type,
          r.comment,
          r.revision_new,
          r.ingestion_time,
        ).toArray().length;
      }
      sql.exec("INSERT INTO owners (owner, added) VALUES (?, ?)", owner, Date.now());
    });
    return { added, repeated: false };
  }

  /** Counts per bucket (bucket starts aligned to `bucketMs` from the epoch). */
  timeseries(q: RollupRange, bucketMs: number): BucketCount[] {
    const where = whereOf(q);
    return this.ctx.storage.sql.exec<{ t: number; events: number; bot: number }>(
      `SELECT event_time - (event_time % ?) AS t, count(*) AS events, sum(is_bot) AS bot FROM events
       WHERE ${where.sql} GROUP BY t`,
      bucketMs,
      ...where.args,
    ).toArray();
  }

  /** Counts per value of one column (every value; the caller merges and limits). */
  breakdown(q: RollupRange, by: GroupColumn): Array<{ key: string; events: number }> {
    if (!GROUP_COLUMNS.includes(by)) throw new RangeError(`cannot group by ${by}`);
    const where = whereOf(q);
    return this.ctx.storage.sql.exec<{ key: string; events: number }>(
      `SELECT ${by} AS key, count(*) AS events FROM events WHERE ${where.sql} GROUP BY ${by}`,
      ...where.args,
    ).toArray();
  }

  /** Edits per page, most edited first; `limit` null = every page (needed to merge days exactly). */
  topPages(q: RollupRange, limit: number | null): PageCount[] {
    const where = whereOf(q);
    return this.ctx.storage.sql.exec<
      { wiki: string; page_title: string; server_name: string | null; edits: number }
    >(
      `SELECT wiki, page_title, max(server_name) AS server_name, count(*) AS edits FROM events WHERE ${where.sql}
       GROUP BY wiki, page_title ORDER BY edits DESC, wiki ASC, page_title ASC${
        limit === null ? "" : " LIMIT ?"
      }`,
      ...where.args,
      ...(limit === null ? [] : [limit]),
    ).toArray();
  }

  /** Exact edits of the given pages (`[wiki, page_title]`, at most 20,000) in the range. */
  pageCounts(q: RollupRange, pages: ReadonlyArray<readonly [string, string]>): PageCount[] {
    if (pages.length > 20_000) throw new RangeError(`at most 20000 pages, got ${pages.length}`);
    const where = whereOf(q);
    return this.ctx.storage.sql.exec<
      { wiki: string; page_title: string; server_name: string | null; edits: number }
    >(
      `SELECT wiki, page_title, max(server_name) AS server_name, count(*) AS edits FROM events WHERE ${where.sql}
       AND wiki || char(31) || page_title IN (SELECT value FROM json_each(?)) GROUP BY wiki, page_title`,
      ...where.args,
      JSON.stringify(pages.map(([wiki, title]) => `${wiki}\u001f${title}`)),
    ).toArray();
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

  /** Forgets everything (admin reset). */
  async reset(): Promise<void> {
    await this.ctx.storage.deleteAll();
    for (const statement of SCHEMA) this.ctx.storage.sql.exec(statement);
  }
}
