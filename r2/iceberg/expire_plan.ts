/**
 * Pure decisions of snapshot expiration, after Iceberg's ExpireSnapshots and its
 * ReachableFileCleanup: which snapshots go (older than the age limit and not among the newest
 * `retainLast`; the current snapshot and every ref's snapshot always stay), the metadata
 * without them, and which files only the expired snapshots reached: their manifest lists, the
 * manifests no kept snapshot lists, and the data files of those manifests that no kept
 * manifest holds as live (ADDED or EXISTING). Old `v<N>.metadata.json` files that dropped out
 * of the bounded metadata-log go too (Java's write.metadata.delete-after-commit).
 */
import { METADATA_LOG_MAX } from "./commit_plan.ts";
import type { LoadedManifest } from "./commit_plan.ts";
import type { Snapshot, TableMetadata } from "./table_metadata.ts";

/** The retention rule of snapshot expiration. */
export interface RetentionPolicy {
  nowMs: number;
  /** Snapshots younger than this are kept. */
  maxAgeMs: number;
  /** At least this many of the newest snapshots are kept (≥ 1). */
  retainLast: number;
}

/** Defaults of the retention rule, as in wrangler.toml (its vars override them). */
export const DEFAULT_SNAPSHOT_MAX_AGE_HOURS = 6;
/** Gold's own age: it commits about once per 5-minute window, so a day of snapshots stays small. */
export const DEFAULT_GOLD_SNAPSHOT_MAX_AGE_HOURS = 24;
export const DEFAULT_SNAPSHOT_RETAIN_LAST = 10;

/** The snapshots kept and expired under `policy`, each oldest first. */
export function planExpiration(
  metadata: TableMetadata,
  policy: RetentionPolicy,
): { kept: Snapshot[]; expired: Snapshot[] } {
  if (!Number.isSafeInteger(policy.retainLast) || policy.retainLast < 1) {
    throw new RangeError(`retainLast must be an integer ≥ 1, got ${policy.retainLast}`);
  }
  if (!Number.isFinite(policy.maxAgeMs) || policy.maxAgeMs < 0) {
    throw new RangeError(`maxAgeMs must be ≥ 0, got ${policy.maxAgeMs}`);
  }
  const pinned = new Set<bigint>(Object.values(metadata.refs).map((r) => r["snapshot-id"]));
  const current = metadata["current-snapshot-id"];
  if (current !== undefined && current !== null) pinned.add(current);
  const ordered = [...metadata.snapshots].sort((a, b) =>
    a["sequence-number"] - b["sequence-number"] || a["timestamp-ms"] - b["timestamp-ms"]
  );
  const newest = new Set(ordered.slice(-policy.retainLast).map((s) => s["snapshot-id"]));
  const cutoff = policy.nowMs - policy.maxAgeMs;
  const keep = (s: Snapshot) =>
    pinned.has(s["snapshot-id"]) || newest.has(s["snapshot-id"]) || s["timestamp-ms"] >= cutoff;
  return { kept: ordered.filter(keep), expired: ordered.filter((s) => !keep(s)) };
}

/**
 * The metadata after removing `expiredIds` from `current` (stored at `currentUri`): no new
 * snapshot, the snapshot-log without the expired ids, the metadata-log extended and bounded.
 */
export function metadataWithout(
  current: TableMetadata,
  currentUri: string,
  expiredIds: ReadonlySet<bigint>,
  nowMs: number,
): TableMetadata {
  const currentId = current["current-snapshot-id"];
  if (currentId !== undefined && currentId !== null && expiredIds.has(currentId)) {
    throw new RangeError(`Cannot expire the current snapshot ${currentId}`);
  }
  for (const [name, ref] of Object.entries(current.refs)) {
    if (expiredIds.has(ref["snapshot-id"])) throw new RangeError(`Cannot expire snapshot of ref ${name}`);
  }
  const metadataLog = [...current["metadata-log"], {
    "metadata-file": currentUri,
    "timestamp-ms": current["last-updated-ms"],
  }];
  return {
    ...current,
    "last-updated-ms": Math.max(nowMs, current["last-updated-ms"]),
    snapshots: current.snapshots.filter((s) => !expiredIds.has(s["snapshot-id"])),
    "snapshot-log": current["snapshot-log"].filter((e) => !expiredIds.has(e["snapshot-id"])),
    "metadata-log": metadataLog.slice(-METADATA_LOG_MAX),
  };
}

/** What expiring snapshots lets go of: URIs of manifest lists, manifests and data files. */
export interface ExpiredFiles {
  manifestLists: string[];
  manifests: string[];
  dataFiles: string[];
}

/**
 * Files reachable only from expired snapshots. `expiredManifests` are the manifests the
 * expired snapshots list, `keptManifests` those the kept snapshots list (each with entries).
 */
export function planExpiredFiles(input: {
  expired: readonly Snapshot[];
  kept: readonly Snapshot[];
  expiredManifests: readonly LoadedManifest[];
  keptManifests: readonly LoadedManifest[];
}): ExpiredFiles {
  const keptLists = new Set(input.kept.map((s) => s["manifest-list"]));
  const keptManifestPaths = new Set(input.keptManifests.map((m) => m.file.manifest_path));
  const liveInKept = new Set<string>();
  for (const m of input.keptManifests) {
    for (const e of m.entries) if (e.status !== 2) liveInKept.add(e.file.path);
  }
  const manifests = new Set<string>();
  const dataFiles = new Set<string>();
  for (const m of input.expiredManifests) {
    if (keptManifestPaths.has(m.file.manifest_path)) continue;
    manifests.add(m.file.manifest_path);
    for (const e of m.entries) if (!liveInKept.has(e.file.path)) dataFiles.add(e.file.path);
  }
  return {
    manifestLists: [...new Set(input.expired.map((s) => s["manifest-list"]))].filter((l) =>
      !keptLists.has(l)
    ),
    manifests: [...manifests],
    dataFiles: [...dataFiles],
  };
}

const VERSION_FILE = /\/v(\d+)\.metadata\.json$/;

/** The version number of a `v<N>.metadata.json` key or URI, or null. */
export function metadataVersionOf(keyOrUri: string): number | null {
  const match = VERSION_FILE.exec(keyOrUri);
  return match ? Number(match[1]) : null;
}

/**
 * Metadata versions (of `present`) to delete: those older than the oldest version the
 * metadata-log of `next` still names (the current version is never below it).
 */
export function planOldMetadata(next: TableMetadata, present: readonly number[]): number[] {
  const logged = next["metadata-log"].map((e) => metadataVersionOf(e["metadata-file"]))
    .filter((v): v is number => v !== null);
  if (!logged.length) return [];
  const oldest = Math.min(...logged);
  return present.filter((v) => v < oldest);
}
