/**
 * Pure decisions of a commit: snapshot ids, the snapshot summary (string values, exact totals),
 * the next metadata version (snapshot, refs.main, snapshot-log, metadata-log, sequence number),
 * and which manifests an overwrite must rewrite (deleted entries status 2, survivors status 0,
 * both with explicit sequence numbers).
 */
import type { DataFile } from "./data_file.ts";
import type { ManifestEntry } from "./manifest.ts";
import type { ManifestFile } from "./manifest_list.ts";
import { currentSnapshot, type Snapshot, type TableMetadata } from "./table_metadata.ts";

/** Summary key that records the caller's idempotency key of a commit. */
export const COMMIT_ID_KEY = "wikiflare.commit-id";
/** Previous metadata files kept in metadata-log (Java's write.metadata.previous-versions-max). */
export const METADATA_LOG_MAX = 100;

/** Snapshot operations this writer produces. */
export type Operation = "append" | "overwrite" | "replace" | "delete";

/** Counts of a set of data files. */
export interface FileTotals {
  files: number;
  records: number;
  bytes: number;
}

/** What one commit changes. */
export interface SnapshotChange {
  snapshotId: bigint;
  commitId: string;
  nowMs: number;
  operation: Operation;
  manifestListUri: string;
  added: FileTotals;
  removed: FileTotals;
}

/** A manifest of the parent snapshot with its entries. */
export interface LoadedManifest {
  file: ManifestFile;
  entries: ManifestEntry[];
}

/** Manifests kept as they are, entries of rewritten manifests, and the files deleted. */
export interface DeletePlan {
  kept: ManifestFile[];
  rewritten: ManifestEntry[][];
  removed: DataFile[];
}

/** A positive 63-bit snapshot id from 8 random bytes. */
export function snapshotIdFrom(random: Uint8Array): bigint {
  if (random.length < 8) throw new RangeError(`Need 8 random bytes for a snapshot id, got ${random.length}`);
  const id = new DataView(random.buffer, random.byteOffset, 8).getBigUint64(0) & 0x7fff_ffff_ffff_ffffn;
  return id === 0n ? 1n : id;
}

/** The snapshot whose summary carries `commitId`, if any. */
export function findCommit(metadata: TableMetadata, commitId: string): Snapshot | undefined {
  return metadata.snapshots.find((s) => s.summary[COMMIT_ID_KEY] === commitId);
}

/** Counts of `files`. */
export function totalsOf(files: readonly DataFile[]): FileTotals {
  return {
    files: files.length,
    records: files.reduce((n, f) => n + f.record_count, 0),
    bytes: files.reduce((n, f) => n + f.file_size_in_bytes, 0),
  };
}

/** The snapshot summary: the change, and the table totals after it (from the parent's totals). */
export function summarizeSnapshot(parent: Snapshot | undefined, change: SnapshotChange): Snapshot["summary"] {
  const total = (key: string) => {
    if (!parent) return 0;
    const text = parent.summary[key];
    if (!/^\d+$/.test(text ?? "")) {
      throw new Error(`Parent snapshot ${parent["snapshot-id"]} summary ${key} is "${text}"`);
    }
    return Number(text);
  };
  const { added, removed } = change;
  const summary: Snapshot["summary"] = {
    operation: change.operation,
    "added-data-files": String(added.files),
    "added-records": String(added.records),
    "added-files-size": String(added.bytes),
  };
  if (removed.files) {
    summary["deleted-data-files"] = String(removed.files);
    summary["deleted-records"] = String(removed.records);
    summary["removed-files-size"] = String(removed.bytes);
  }
  Object.assign(summary, {
    "total-data-files": String(total("total-data-files") + added.files - removed.files),
    "total-records": String(total("total-records") + added.records - removed.records),
    "total-files-size": String(total("total-files-size") + added.bytes - removed.bytes),
    "total-delete-files": "0",
    "total-position-deletes": "0",
    "total-equality-deletes": "0",
    [COMMIT_ID_KEY]: change.commitId,
  });
  return summary;
}

/** The metadata after committing `change` on top of `current` (stored at `currentUri`). */
export function planNextMetadata(
  current: TableMetadata,
  currentUri: string,
  change: SnapshotChange,
): TableMetadata {
  const parent = currentSnapshot(current);
  if (current.snapshots.some((s) => s["snapshot-id"] === change.snapshotId)) {
    throw new RangeError(`Snapshot id ${change.snapshotId} already exists in the table`);
  }
  const timestamp = Math.max(change.nowMs, current["last-updated-ms"]);
  const sequenceNumber = current["last-sequence-number"] + 1;
  const snapshot: Snapshot = {
    "snapshot-id": change.snapshotId,
    ...(parent ? { "parent-snapshot-id": parent["snapshot-id"] } : {}),
    "sequence-number": sequenceNumber,
    "timestamp-ms": timestamp,
    "manifest-list": change.manifestListUri,
    summary: summarizeSnapshot(parent, change),
    "schema-id": current["current-schema-id"],
  };
  const metadataLog = [...current["metadata-log"], {
    "metadata-file": currentUri,
    "timestamp-ms": current["last-updated-ms"],
  }];
  return {
    ...current,
    "last-sequence-number": sequenceNumber,
    "last-updated-ms": timestamp,
    "current-snapshot-id": change.snapshotId,
    snapshots: [...current.snapshots, snapshot],
    refs: { ...current.refs, main: { "snapshot-id": change.snapshotId, type: "branch" } },
    "snapshot-log": [...current["snapshot-log"], {
      "snapshot-id": change.snapshotId,
      "timestamp-ms": timestamp,
    }],
    "metadata-log": metadataLog.slice(-METADATA_LOG_MAX),
  };
}

/** Plans deleting `paths` (each must be live) by rewriting the manifests that hold them. */
export function planDeletes(
  manifests: readonly LoadedManifest[],
  paths: readonly string[],
  snapshotId: bigint,
): DeletePlan {
  const wanted = new Set(paths);
  const plan: DeletePlan = { kept: [], rewritten: [], removed: [] };
  for (const { file, entries } of manifests) {
    if (!entries.some((e) => e.status !== 2 && wanted.has(e.file.path))) {
      plan.kept.push(file);
      continue;
    }
    const rewritten: ManifestEntry[] = [];
    for (const e of entries) {
      if (e.status === 2) continue; // deleted by an earlier snapshot: dropped, as Java does
      const sequence = e.sequence_number ?? file.sequence_number;
      const deleted = wanted.has(e.file.path);
      if (deleted) plan.removed.push(e.file);
      rewritten.push({
        status: deleted ? 2 : 0,
        snapshot_id: deleted ? snapshotId : e.snapshot_id ?? file.added_snapshot_id,
        sequence_number: sequence,
        file_sequence_number: e.file_sequence_number ?? file.sequence_number,
        file: e.file,
      });
    }
    plan.rewritten.push(rewritten);
  }
  const found = new Set(plan.removed.map((f) => f.path));
  const missing = [...wanted].filter((p) => !found.has(p));
  if (missing.length) {
    throw new RangeError(`Cannot delete files that are not live in the table: ${missing.join(", ")}`);
  }
  return plan;
}

/** ADDED entries (status 1) for new files; sequence numbers stay null so they are inherited. */
export function addedEntries(files: readonly DataFile[], snapshotId: bigint): ManifestEntry[] {
  return files.map((file) => ({
    status: 1,
    snapshot_id: snapshotId,
    sequence_number: null,
    file_sequence_number: null,
    file,
  }));
}

/** Throws RangeError when a path is listed twice (a file live twice double-counts its rows). */
export function checkDistinctPaths(files: readonly DataFile[]): void {
  const seen = new Set<string>();
  for (const f of files) {
    if (seen.has(f.path)) throw new RangeError(`Data file ${f.path} is listed twice in one commit`);
    seen.add(f.path);
  }
}
