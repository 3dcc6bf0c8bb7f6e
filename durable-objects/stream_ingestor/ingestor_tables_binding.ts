/**
 * The StreamIngestor's SQLite tables besides its key-value state: the identities of events
 * already received (to recognise re-reads after a resume) and the outbox of queue messages
 * the consumer has not acknowledged yet. Thin wrappers over the object's SqlStorage; every
 * method is synchronous, so callers can group them in one `transactionSync`.
 */
import type { RawEventsMessage } from "./batching.ts";

/** Identities of received source events, kept for a retention period. */
export class SeenIdentities {
  readonly #sql: SqlStorage;

  constructor(sql: SqlStorage) {
    this.#sql = sql;
    sql.exec(
      "CREATE TABLE IF NOT EXISTS seen (identity TEXT PRIMARY KEY, at INTEGER NOT NULL) WITHOUT ROWID",
    );
    sql.exec("CREATE INDEX IF NOT EXISTS seen_at ON seen (at)");
  }

  /** Those of `identities` received before, in one statement (a primary-key lookup per identity). */
  seenAmong(identities: readonly string[]): Set<string> {
    return new Set(
      this.#sql.exec<{ identity: string }>(
        "SELECT identity FROM json_each(?) AS i CROSS JOIN seen ON identity = i.value",
        JSON.stringify(identities),
      ).toArray().map((r) => r.identity),
    );
  }

  /** Records every one of `identities` as received at `at`, in one statement. */
  addAll(identities: readonly string[], at: number): void {
    this.#sql.exec(
      "INSERT OR IGNORE INTO seen (identity, at) SELECT value, ? FROM json_each(?) WHERE true",
      at,
      JSON.stringify(identities),
    );
  }

  /** Forgets identities received before `before`. */
  prune(before: number): void {
    this.#sql.exec("DELETE FROM seen WHERE at < ?", before);
  }

  /** Forgets everything. */
  clear(): void {
    this.#sql.exec("DELETE FROM seen");
  }
}

/** Queue messages accepted by the queue but not yet confirmed by the consumer. */
export class Outbox {
  readonly #sql: SqlStorage;

  constructor(sql: SqlStorage) {
    this.#sql = sql;
    sql.exec(
      "CREATE TABLE IF NOT EXISTS outbox (batch_id TEXT PRIMARY KEY, body TEXT NOT NULL, sent_at INTEGER NOT NULL, resends INTEGER NOT NULL DEFAULT 0)",
    );
  }

  /** Records a message as sent at `at` (`json`: its JSON text, when the caller has it already). */
  add(message: RawEventsMessage, at: number, json: string = JSON.stringify(message)): void {
    this.#sql.exec(
      "INSERT OR REPLACE INTO outbox (batch_id, body, sent_at) VALUES (?, ?, ?)",
      message.batch_id,
      json,
      at,
    );
  }

  /** Removes confirmed batches; returns how many were pending. */
  remove(batchIds: string[]): number {
    let removed = 0;
    for (const id of batchIds) {
      removed += this.#sql.exec("DELETE FROM outbox WHERE batch_id = ?", id).rowsWritten;
    }
    return removed;
  }

  /** Up to `limit` messages sent before `before`, oldest first. */
  stale(before: number, limit = 50): RawEventsMessage[] {
    return this.#sql.exec<{ body: string }>(
      "SELECT body FROM outbox WHERE sent_at < ? ORDER BY sent_at, rowid LIMIT ?",
      before,
      limit,
    ).toArray().map((row) => JSON.parse(row.body) as RawEventsMessage);
  }

  /** Marks messages as sent again at `at`. */
  markResent(batchIds: string[], at: number): void {
    for (const id of batchIds) {
      this.#sql.exec("UPDATE outbox SET sent_at = ?, resends = resends + 1 WHERE batch_id = ?", at, id);
    }
  }

  /** How many messages wait for confirmation. */
  size(): number {
    return this.#sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM outbox").one().n;
  }

  /** Forgets everything. */
  clear(): void {
    this.#sql.exec("DELETE FROM outbox");
  }
}
