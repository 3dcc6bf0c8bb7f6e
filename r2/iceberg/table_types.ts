/**
 * Options and results of IcebergTable (table_writer.ts), and the JSON-safe snapshot view the
 * HTTP API returns.
 */
import type { TableSpec } from "../tables/schemas.ts";
import type { DataFile } from "./data_file.ts";
import type { Snapshot } from "./table_metadata.ts";

/** Options of an IcebergTable. */
export interface IcebergTableOptions {
  spec: TableSpec;
  bucket: string;
  warehouse: string;
  /** Source of randomness for snapshot ids; default crypto.getRandomValues. */
  randomBytes?: (length: number) => Uint8Array;
  /** Commit attempts before giving up when other writers keep winning; default 5. */
  maxAttempts?: number;
}

/** Options of one commit. */
export interface CommitOptions {
  /** Idempotency key, stored in the snapshot summary as `wikiflare.commit-id`. */
  commitId: string;
  nowMs: number;
  snapshotId?: bigint;
}

/** Options of an overwrite (or compaction when `operation` is "replace"). */
export interface OverwriteOptions extends CommitOptions {
  added: DataFile[];
  deletePaths: string[];
  operation?: "overwrite" | "replace";
}

/** What a commit did. */
export type CommitResult =
  | { kind: "committed"; version: number; snapshotId: bigint; sequenceNumber: number; attempts: number }
  | { kind: "already_committed"; version: number; snapshotId: bigint; sequenceNumber: number }
  | { kind: "noop" };

/** A snapshot as the HTTP API shows it (JSON-safe: ids as strings). */
export interface SnapshotInfo {
  snapshot_id: string;
  parent_snapshot_id: string | null;
  sequence_number: number;
  timestamp_ms: number;
  operation: string;
  manifest_list: string;
  summary: Record<string, string>;
}

/** The JSON-safe view of a snapshot. */
export function snapshotInfoOf(s: Snapshot): SnapshotInfo {
  return {
    snapshot_id: s["snapshot-id"].toString(),
    parent_snapshot_id: s["parent-snapshot-id"]?.toString() ?? null,
    sequence_number: s["sequence-number"],
    timestamp_ms: s["timestamp-ms"],
    operation: s.summary.operation,
    manifest_list: s["manifest-list"],
    summary: { ...s.summary },
  };
}
