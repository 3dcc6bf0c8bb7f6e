/**
 * Shell: a committer's dedup claims in Durable Object SQLite, one table per UTC day of claim time
 * (claim_buckets.ts). `claim_buckets` registers the live day tables. An object from before the
 * day buckets keeps its `claims` table as one more bucket, registered on first use as the day of
 * that moment (every claim in it was made before then), so it is dropped once that day is past
 * the horizon — no rewrite of its rows.
 */
import { claimBucketDay, claimBucketTable, isBucketPast, LEGACY_CLAIMS_TABLE } from "./claim_buckets.ts";

const SCHEMA =
  "CREATE TABLE IF NOT EXISTS claim_buckets (name TEXT PRIMARY KEY, day INTEGER NOT NULL) WITHOUT ROWID";
const TABLE = /^(claims|claims_d\d{1,9})$/;

interface Bucket {
  name: string;
  day: number;
}

/** The claims of one committer (call `claim` and `prune` inside a transaction). */
export class ClaimStore {
  readonly #sql: SqlStorage;
  #buckets: Bucket[] | null = null;

  constructor(sql: SqlStorage) {
    this.#sql = sql;
    sql.exec(SCHEMA);
  }

  /** The keys `owner` holds after claiming `keys` at `nowMs`: new ones and those it claimed before. */
  claim(owner: string, keys: readonly string[], nowMs: number): string[] {
    return this.#resetOnError(() => this.#claim(owner, keys, nowMs));
  }

  #claim(owner: string, keys: readonly string[], nowMs: number): string[] {
    const today = this.#today(nowMs);
    const holders = new Map<string, string>();
    const json = JSON.stringify(keys);
    for (const b of this.#live(nowMs)) {
      const rows = this.#sql.exec<{ key: string; owner: string }>(
        `SELECT key, owner FROM ${b.name} WHERE key IN (SELECT value FROM json_each(?))`,
        json,
      );
      for (const r of rows) holders.set(r.key, r.owner);
    }
    // Only keys nobody holds are written (a repeated claim writes nothing), in one statement.
    const fresh = [...new Set(keys.filter((key) => !holders.has(key)))];
    if (fresh.length) {
      this.#sql.exec(
        `INSERT INTO ${today} (key, owner) SELECT value, ? FROM json_each(?)`,
        owner,
        JSON.stringify(fresh),
      );
      for (const key of fresh) holders.set(key, owner);
    }
    return keys.filter((key) => holders.get(key) === owner);
  }

  /**
   * Drops every bucket whose claims were all made before `cutoffMs`; the claims in it of the
   * owners `keepOwnersSql` selects (batches still staged) move to today's bucket first.
   * Returns the claims dropped.
   */
  prune(cutoffMs: number, nowMs: number, keepOwnersSql: string): number {
    return this.#resetOnError(() => this.#prune(cutoffMs, nowMs, keepOwnersSql));
  }

  #prune(cutoffMs: number, nowMs: number, keepOwnersSql: string): number {
    let dropped = 0;
    for (const b of this.#live(nowMs).filter((b) => isBucketPast(b.day, cutoffMs))) {
      const kept = this.#sql.exec<{ n: number }>(
        `SELECT count(*) AS n FROM ${b.name} WHERE owner IN (${keepOwnersSql})`,
      ).one().n;
      if (kept) {
        this.#sql.exec(
          `INSERT INTO ${this.#today(nowMs)} (key, owner) SELECT key, owner FROM ${b.name}
           WHERE owner IN (${keepOwnersSql}) ON CONFLICT DO NOTHING`,
        );
      }
      dropped += this.#sql.exec<{ n: number }>(`SELECT count(*) AS n FROM ${b.name}`).one().n - kept;
      this.#sql.exec(`DROP TABLE ${b.name}`);
      this.#sql.exec("DELETE FROM claim_buckets WHERE name = ?", b.name);
    }
    this.#buckets = null;
    return dropped;
  }

  /** Runs `fn`; a throw may roll back the caller's transaction, so the cached bucket list goes too. */
  #resetOnError<T>(fn: () => T): T {
    try {
      return fn();
    } catch (error) {
      this.#buckets = null;
      throw error;
    }
  }

  /** Starts over after the storage was wiped (admin reset). */
  reinit(): void {
    this.#sql.exec(SCHEMA);
    this.#buckets = null;
  }

  /** Today's bucket table, created and registered on the first claim of the day. */
  #today(nowMs: number): string {
    const day = claimBucketDay(nowMs);
    const name = claimBucketTable(day);
    if (!this.#live(nowMs).some((b) => b.name === name)) {
      this.#sql.exec(
        `CREATE TABLE IF NOT EXISTS ${name} (key TEXT PRIMARY KEY, owner TEXT NOT NULL) WITHOUT ROWID`,
      );
      this.#sql.exec("INSERT INTO claim_buckets (name, day) VALUES (?, ?) ON CONFLICT DO NOTHING", name, day);
      this.#buckets = null;
    }
    return name;
  }

  /** The live buckets, newest first (names checked: they are spliced into SQL). */
  #live(nowMs: number): Bucket[] {
    if (this.#buckets) return this.#buckets;
    const legacy = "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?";
    if (this.#sql.exec(legacy, LEGACY_CLAIMS_TABLE).toArray().length) {
      this.#sql.exec(
        "INSERT INTO claim_buckets (name, day) VALUES (?, ?) ON CONFLICT DO NOTHING",
        LEGACY_CLAIMS_TABLE,
        claimBucketDay(nowMs),
      );
    }
    this.#buckets = this.#sql.exec<{ name: string; day: number }>(
      "SELECT name, day FROM claim_buckets ORDER BY day DESC, name",
    ).toArray().map((b) => {
      if (!TABLE.test(b.name)) throw new Error(`unexpected claim bucket table ${b.name}`);
      return { name: b.name, day: b.day };
    });
    return this.#buckets;
  }
}
