import { observe, parseHistogram } from "./commit_duration.ts";
import { DurableObject } from "cloudflare:workers";
import { tableSpec } from "../../r2/tables/schemas.ts";
import { IcebergTable } from "../../r2/iceberg/table_writer.ts";
import { compactTable } from "../../r2/iceberg/compaction.ts";
import { R2BlobStore } from "../../r2/r2_blob_store_binding.ts";
import type { DataFile } from "../../r2/iceberg/data_file.ts";
import {
  type ClaimRequest,
  type ClaimResult,
  decodeStaged,
  encodeStaged,
  type ReplaceInput,
  type ReplaceResult,
  stableId,
  type StageInput,
  type TableStatus,
} from "./committer_core.ts";
import {
  type JobReport,
  jobReport,
  type MaintenanceJob,
  type MaintenancePolicy,
  snapshotMaxAgeHoursOf,
} from "./maintenance_core.ts";
import { ClaimStore } from "./claim_store_binding.ts";

const SCHEMA = [
  "CREATE TABLE IF NOT EXISTS meta (k TEXT PRIMARY KEY, v TEXT NOT NULL)",
  "CREATE TABLE IF NOT EXISTS stages (stage_id TEXT PRIMARY KEY, files TEXT NOT NULL, file_count INTEGER NOT NULL, rows INTEGER NOT NULL, duplicates INTEGER NOT NULL, staged_at INTEGER NOT NULL, commit_id TEXT)",
  "CREATE TABLE IF NOT EXISTS stage_owners (owner TEXT PRIMARY KEY, stage_id TEXT NOT NULL) WITHOUT ROWID",
  "CREATE TABLE IF NOT EXISTS commits (commit_id TEXT PRIMARY KEY, state TEXT NOT NULL, created_at INTEGER NOT NULL)",
  "CREATE INDEX IF NOT EXISTS stages_pending ON stages (commit_id)",
  // The data-file descriptors of a stage until its commit is done (then deleted: only the stage
  // row and its owners stay, for the claim horizon). Kept apart from `stages` so the 9-day log
  // stays small: a multi-KB value emptied in place leaves its page nearly empty.
  "CREATE TABLE IF NOT EXISTS stage_files (stage_id TEXT PRIMARY KEY, files TEXT NOT NULL)",
];
/** Files of stages not yet committed (`stages.files` holds them for stages staged before stage_files). */
const STAGE_FILES =
  "COALESCE(sf.files, s.files) AS files FROM stages s LEFT JOIN stage_files sf USING (stage_id)";
/** Owners whose batch is staged and not committed yet: their claims outlive the horizon. */
const PENDING_OWNERS =
  "SELECT so.owner FROM stage_owners so JOIN stages s ON s.stage_id = so.stage_id WHERE s.commit_id IS NULL OR s.commit_id NOT IN (SELECT commit_id FROM commits WHERE state = 'done')";
const COMMIT_NOW_FILES = 200;
const RETRY_MS = 5_000;
const HOUR_MS = 3_600_000;

/**
 * TableCommitter: the only writer of one Iceberg table's metadata. Keeps the table's
 * dedupe claims, stages data files written by consumers, and commits them in batches
 * (one snapshot per alarm) with a deterministic commit id so a retried commit is a no-op.
 */
export class TableCommitter extends DurableObject<Env> {
  #lastError: string | null = null;
  // Commits and partition replacements each await R2; one at a time keeps each snapshot's
  // parent the one the previous job produced (the R2 create-if-absent still guards other writers).
  #queue: Promise<unknown> = Promise.resolve();
  readonly #claims: ClaimStore;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    for (const statement of SCHEMA) ctx.storage.sql.exec(statement);
    this.#claims = new ClaimStore(ctx.storage.sql);
  }

  /** Claims keys for owners: a key belongs to the first owner that claimed it, forever. */
  claim(table: string, requests: ClaimRequest[]): ClaimResult {
    this.#bind(table);
    const now = Date.now();
    const newKeys: Record<string, string[]> = {};
    this.ctx.storage.transactionSync(() => {
      for (const { owner, keys } of requests) newKeys[owner] = this.#claims.claim(owner, keys, now);
    });
    return { newKeys, stagedOwners: this.stagedOwners(table, requests.map((r) => r.owner)) };
  }

  /** Owners (of the given ones) whose rows are already staged in this table. */
  stagedOwners(table: string, owners: string[]): string[] {
    this.#bind(table);
    const staged = new Set(
      this.ctx.storage.sql.exec<{ owner: string }>(
        "SELECT owner FROM json_each(?) AS o CROSS JOIN stage_owners ON owner = o.value",
        JSON.stringify(owners),
      ).toArray().map((r) => r.owner),
    );
    return owners.filter((owner) => staged.has(owner));
  }

  /** Records data files for the next commit; refuses when any owner is already staged. */
  async stage(input: StageInput<DataFile>): Promise<{ ok: true } | { ok: false; reason: string }> {
    this.#bind(input.table);
    const already = this.stagedOwners(input.table, input.owners);
    if (already.length) return { ok: false, reason: `owners already staged: ${already.join(", ")}` };
    const sql = this.ctx.storage.sql;
    this.ctx.storage.transactionSync(() => {
      sql.exec(
        "INSERT INTO stages (stage_id, files, file_count, rows, duplicates, staged_at) VALUES (?, '', ?, ?, ?, ?)",
        input.stageId,
        input.files.length,
        input.rows,
        input.duplicates,
        Date.now(),
      );
      sql.exec(
        "INSERT INTO stage_files (stage_id, files) VALUES (?, ?)",
        input.stageId,
        encodeStaged(input.files),
      );
      for (const owner of input.owners) {
        sql.exec("INSERT INTO stage_owners (owner, stage_id) VALUES (?, ?)", owner, input.stageId);
      }
    });
    await this.#scheduleCommit();
    return { ok: true };
  }

  /** Commits everything staged now (tests, admin, shutdown); returns the status after. */
  async commitNow(): Promise<TableStatus> {
    await this.#exclusive(() => this.#commitPending());
    return this.status();
  }

  /**
   * Replaces every live data file of the partition `days` by `files` in one overwrite snapshot
   * (the late-data correction). Refuses, without writing, when a day's live row count is not
   * the caller's `expectedRows` (the table and the caller disagree), or when staged files wait.
   * A retry with the same `commitId` is a no-op.
   */
  replacePartitions(input: ReplaceInput<DataFile>): Promise<ReplaceResult> {
    this.#bind(input.table);
    return this.#exclusive(async () => {
      await this.#commitPending();
      const table = await this.#table();
      if (await table.hasCommit(input.commitId)) {
        return { ok: true, kind: "already_committed", deleted: 0, added: input.files.length };
      }
      const live = (await table.liveFiles()).filter((f) => input.days.includes(f.partition_day));
      for (const day of input.days) {
        const rows = live.filter((f) => f.partition_day === day).reduce((n, f) => n + f.record_count, 0);
        if (rows !== (input.expectedRows[day] ?? 0)) {
          return {
            ok: false,
            reason: `day ${day} holds ${rows} rows in the table but ${
              input.expectedRows[day] ?? 0
            } are expected`,
          };
        }
      }
      const result = await table.overwrite({
        added: input.files,
        deletePaths: live.map((f) => f.path),
        commitId: input.commitId,
        nowMs: Date.now(),
        operation: "overwrite",
      });
      if (result.kind !== "noop") this.#recordCommit(result);
      this.ctx.storage.transactionSync(() => {
        const delta = input.files.reduce((n, f) => n + f.record_count, 0) -
          live.reduce((n, f) => n + f.record_count, 0);
        this.#add("rows", delta);
        this.#add("data_files", input.files.length - live.length);
      });
      return { ok: true, kind: result.kind, deleted: live.length, added: input.files.length };
    });
  }

  /**
   * Runs one maintenance job on the table, serialised with the streaming commits (the same
   * queue), and reports it; a failure is reported, never thrown.
   */
  maintain(table: string, job: MaintenanceJob, policy: MaintenancePolicy, nowMs: number): Promise<JobReport> {
    this.#bind(table);
    return this.#exclusive(async () => {
      const started = Date.now();
      const iceberg = await this.#table();
      const before = await iceberg.counts();
      const report = (status: JobReport["status"], extra: Partial<Parameters<typeof jobReport>[0]> = {}) =>
        iceberg.counts().then((after) =>
          jobReport({ table, job, status, before, after, tookMs: Date.now() - started, ...extra })
        );
      try {
        if (job === "expire_snapshots") {
          const result = await iceberg.expireSnapshots({
            nowMs,
            maxAgeMs: snapshotMaxAgeHoursOf(policy, table) * HOUR_MS,
            retainLast: policy.snapshotRetainLast,
          });
          if (result.kind === "lost_race") {
            return report("failed", { error: "another writer committed first; nothing was changed" });
          }
          if (result.kind === "expired") this.#setMeta("version", String(result.version));
          return report(result.kind === "noop" ? "nothing_to_do" : "done", {
            snapshotsExpired: result.expired.length,
            filesDeleted: result.filesDeleted,
          });
        }
        if (job === "remove_orphans") {
          const result = await iceberg.removeOrphans({
            nowMs,
            minAgeMs: policy.orphanMinAgeHours * HOUR_MS,
            protectedKeys: this.#stagedKeys(),
          });
          return report(result.deleted.length ? "done" : "nothing_to_do", {
            filesDeleted: result.deleted.length,
          });
        }
        if (job === "compact") {
          const result = await compactTable(new R2BlobStore(this.env.LAKE), iceberg, tableSpec(table), {
            targetBytes: Math.floor(policy.targetFileMb * 1024 * 1024),
            nowMs,
            tag: `${nowMs}-${crypto.randomUUID().slice(0, 8)}`,
          });
          if (result.kind === "committed") {
            const version = (await iceberg.loadCurrent())?.version ?? 0;
            this.#recordCommit({ kind: "committed", version, snapshotId: BigInt(result.snapshotId!) });
          }
          this.#add("data_files", result.outputs.length - result.inputs);
          return report(result.kind === "noop" ? "nothing_to_do" : "done");
        }
        if (job === "rewrite_manifests") {
          const result = await iceberg.rewriteManifests({ commitId: `rewrite-manifests-${nowMs}`, nowMs });
          if (result.kind === "noop") return report("nothing_to_do");
          this.#recordCommit(result);
          return report("done");
        }
        return report("failed", { error: `${job} is not implemented yet` });
      } catch (error) {
        return report("failed", { error: String(error) });
      }
    });
  }

  /**
   * Forgets dedup state older than `horizonMs` before `nowMs`: claims (silver event ids, bronze
   * identities) and the stages/owners of committed batches. A duplicate older than the horizon
   * can no longer arrive (see claimHorizonMs). Claims go by whole UTC days of claim time (a day
   * table is dropped once all of it is past the horizon: a claim lives the horizon plus up to a
   * day); the claims of owners whose batch is still staged move to today's table first.
   */
  pruneClaims(table: string, horizonMs: number, nowMs: number): { claims: number; stages: number } {
    this.#bind(table);
    if (!Number.isFinite(horizonMs) || horizonMs < 3_600_000) {
      throw new RangeError(`horizonMs too small: ${horizonMs}`);
    }
    if (!Number.isFinite(nowMs) || nowMs < 0) throw new RangeError(`bad nowMs: ${nowMs}`);
    const cutoff = nowMs - horizonMs;
    const sql = this.ctx.storage.sql;
    let claims = 0;
    let stages = 0;
    this.ctx.storage.transactionSync(() => {
      claims = this.#claims.prune(cutoff, nowMs, PENDING_OWNERS);
      const done =
        "SELECT stage_id FROM stages WHERE staged_at < ? AND commit_id IN (SELECT commit_id FROM commits WHERE state = 'done')";
      sql.exec(`DELETE FROM stage_owners WHERE stage_id IN (${done})`, cutoff);
      stages = sql.exec(`DELETE FROM stages WHERE stage_id IN (${done})`, cutoff).rowsWritten;
    });
    return { claims, stages };
  }

  /** Keys of the data files staged and not yet committed (orphan removal must not touch them). */
  #stagedKeys(): string[] {
    const rows = this.ctx.storage.sql.exec<{ files: string }>(
      `SELECT ${STAGE_FILES} WHERE s.commit_id IS NULL OR s.commit_id NOT IN (SELECT commit_id FROM commits WHERE state = 'done')`,
    ).toArray();
    return rows.flatMap((r) => decodeStaged<DataFile[]>(r.files).map((f) => f.key));
  }

  /** Reports the table's commit state and counters (binding the object to `table` when given). */
  status(table?: string): TableStatus {
    if (table) this.#bind(table);
    const sql = this.ctx.storage.sql;
    const pending = sql.exec<{ n: number; r: number | null; oldest: number | null }>(
      "SELECT COUNT(*) AS n, SUM(rows) AS r, MIN(staged_at) AS oldest FROM stages WHERE commit_id IS NULL OR commit_id IN (SELECT commit_id FROM commits WHERE state = 'pending')",
    ).one();
    const lastCommit = this.#meta("last_commit_at");
    return {
      table: this.#meta("table") ?? "",
      version: numberOrNull(this.#meta("version")),
      snapshot_id: this.#meta("snapshot_id"),
      last_commit_at: lastCommit === null ? null : new Date(Number(lastCommit)).toISOString(),
      rows: Number(this.#meta("rows") ?? 0),
      duplicates: Number(this.#meta("duplicates") ?? 0),
      commits: Number(this.#meta("commits") ?? 0),
      data_files_committed: Number(this.#meta("data_files") ?? 0),
      pending_stages: pending.n,
      pending_rows: pending.r ?? 0,
      oldest_pending_at: pending.oldest === null ? null : new Date(pending.oldest).toISOString(),
      last_error: this.#lastError,
      commit_duration: parseHistogram(this.#meta("commit_duration")),
    };
  }

  /** Forgets claims, stages and counters (admin reset; the R2 objects are deleted by the caller). */
  async reset(): Promise<void> {
    await this.ctx.storage.deleteAlarm();
    const table = this.#meta("table");
    await this.ctx.storage.deleteAll();
    for (const statement of SCHEMA) this.ctx.storage.sql.exec(statement);
    this.#claims.reinit();
    if (table) this.#bind(table);
  }

  /** Alarm: commits the staged files; re-arms itself after a failure. */
  override async alarm(): Promise<void> {
    try {
      await this.#exclusive(() => this.#commitPending());
      this.#lastError = null;
    } catch (error) {
      this.#lastError = `${new Date().toISOString()} ${String(error)}`;
      console.error(
        JSON.stringify({ msg: "Commit failed", table: this.#meta("table"), error: String(error) }),
      );
      await this.ctx.storage.setAlarm(Date.now() + RETRY_MS);
    }
  }

  async #scheduleCommit(): Promise<void> {
    const files = this.ctx.storage.sql.exec<{ n: number | null }>(
      "SELECT SUM(file_count) AS n FROM stages WHERE commit_id IS NULL",
    ).one().n ?? 0;
    const interval = Number(this.env.COMMIT_INTERVAL_SECONDS || "10") * 1000;
    const due = files >= COMMIT_NOW_FILES ? Date.now() : Date.now() + interval;
    const current = await this.ctx.storage.getAlarm();
    if (current === null || current > due) await this.ctx.storage.setAlarm(due);
  }

  async #commitPending(): Promise<void> {
    const commitId = this.#claimCommit();
    if (!commitId) return;
    const sql = this.ctx.storage.sql;
    const stages = sql.exec<{ files: string; rows: number; duplicates: number }>(
      `SELECT s.rows, s.duplicates, ${STAGE_FILES} WHERE s.commit_id = ? ORDER BY s.staged_at, s.stage_id`,
      commitId,
    ).toArray();
    const files = stages.flatMap((s) => decodeStaged<DataFile[]>(s.files));
    const began = Date.now();
    const table = await this.#table();
    const result = await table.append(files, { commitId, nowMs: Date.now() });
    this.ctx.storage.transactionSync(() => {
      sql.exec("UPDATE commits SET state = 'done' WHERE commit_id = ?", commitId);
      sql.exec(
        "DELETE FROM stage_files WHERE stage_id IN (SELECT stage_id FROM stages WHERE commit_id = ?)",
        commitId,
      );
      sql.exec("UPDATE stages SET files = '' WHERE commit_id = ? AND files != ''", commitId);
      this.#add("rows", stages.reduce((n, s) => n + s.rows, 0));
      this.#add("duplicates", stages.reduce((n, s) => n + s.duplicates, 0));
      this.#add("data_files", files.length);
      // A pending commit found already in the table is our own that landed before this
      // bookkeeping (the object was evicted in between): it was never counted, so count it now.
      if (result.kind !== "noop") this.#recordCommit({ ...result, kind: "committed" });
      if (result.kind !== "noop") {
        const h = observe(parseHistogram(this.#meta("commit_duration")), (Date.now() - began) / 1000);
        this.#setMeta("commit_duration", JSON.stringify(h));
      }
    });
    // More may have been staged while this commit ran.
    if (sql.exec("SELECT 1 FROM stages WHERE commit_id IS NULL LIMIT 1").toArray().length) {
      await this.#scheduleCommit();
    }
  }

  /** Fixes the set of stages of the next commit in SQLite before any I/O, or resumes a half-done one. */
  #claimCommit(): string | null {
    const sql = this.ctx.storage.sql;
    const open = sql.exec<{ commit_id: string }>(
      "SELECT commit_id FROM commits WHERE state = 'pending' LIMIT 1",
    ).toArray();
    if (open.length) return open[0].commit_id;
    const stageIds = sql.exec<{ stage_id: string }>(
      "SELECT stage_id FROM stages WHERE commit_id IS NULL ORDER BY staged_at, stage_id",
    ).toArray().map((r) => r.stage_id);
    if (!stageIds.length) return null;
    const commitId = stableId([this.#meta("table") ?? "", ...stageIds]);
    this.ctx.storage.transactionSync(() => {
      sql.exec(
        "INSERT INTO commits (commit_id, state, created_at) VALUES (?, 'pending', ?)",
        commitId,
        Date.now(),
      );
      for (const id of stageIds) sql.exec("UPDATE stages SET commit_id = ? WHERE stage_id = ?", commitId, id);
    });
    return commitId;
  }

  /** The table, created when missing (create-if-absent, so a race with another creator is fine). */
  async #table(): Promise<IcebergTable> {
    const table = new IcebergTable(new R2BlobStore(this.env.LAKE), {
      spec: tableSpec(this.#meta("table") ?? ""),
      bucket: this.env.LAKE_BUCKET_NAME,
      warehouse: this.env.WAREHOUSE,
    });
    await table.create(Date.now(), crypto.randomUUID());
    return table;
  }

  #recordCommit(result: { kind: string; version: number; snapshotId: bigint }): void {
    if (result.kind === "committed") this.#add("commits", 1);
    this.#setMeta("version", String(result.version));
    this.#setMeta("snapshot_id", String(result.snapshotId));
    this.#setMeta("last_commit_at", String(Date.now()));
  }

  #exclusive<T>(job: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(job, job);
    this.#queue = run.catch(() => undefined);
    return run;
  }

  #bind(table: string): void {
    const bound = this.#meta("table");
    if (bound === null) this.#setMeta("table", tableSpec(table).name);
    else if (bound !== table) throw new RangeError(`This committer serves ${bound}, not ${table}`);
  }

  #meta(key: string): string | null {
    const rows = this.ctx.storage.sql.exec<{ v: string }>("SELECT v FROM meta WHERE k = ?", key).toArray();
    return rows.length ? rows[0].v : null;
  }

  #setMeta(key: string, value: string): void {
    this.ctx.storage.sql.exec("INSERT OR REPLACE INTO meta (k, v) VALUES (?, ?)", key, value);
  }

  #add(key: string, delta: number): void {
    this.#setMeta(key, String(Number(this.#meta(key) ?? 0) + delta));
  }
}

function numberOrNull(value: string | null): number | null {
  return value === null ? null : Number(value);
}
