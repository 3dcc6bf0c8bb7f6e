/**
 * Time travel (DESIGN.md §6): which kept snapshot was current at a time (the last snapshot-log
 * entry at or before it, as Java's SnapshotUtil.snapshotIdAsOfTime), snapshot ids parsed as
 * 63-bit BigInts from text (never through a JS number), and reading a snapshot's rows.
 */
import type { BlobStore } from "../blob_store.ts";
import { decodeParquet } from "../parquet/parquet_reader.ts";
import type { TableSpec } from "../tables/schemas.ts";
import type { AnyRow } from "../tables/rows.ts";
import type { Snapshot, TableMetadata } from "./table_metadata.ts";
import { loadManifests } from "./table_reader.ts";

/** The kept snapshot current at `asOfMs`, or undefined (before the oldest kept one). */
export function snapshotAsOf(metadata: TableMetadata, asOfMs: number): Snapshot | undefined {
  const kept = new Map(metadata.snapshots.map((s) => [s["snapshot-id"], s]));
  let found: Snapshot | undefined;
  for (const entry of metadata["snapshot-log"]) {
    if (entry["timestamp-ms"] > asOfMs) break;
    found = kept.get(entry["snapshot-id"]) ?? found;
  }
  return found;
}

/** A snapshot id from text: 1–19 digits, ≤ 2^63 − 1; null otherwise. */
export function parseSnapshotId(text: string): bigint | null {
  if (!/^\d{1,19}$/.test(text)) return null;
  const id = BigInt(text);
  return id <= 0x7fff_ffff_ffff_ffffn ? id : null;
}

/** The rows of `snapshot` in the partition days [fromDay, toDay], read file by file. */
export async function readSnapshotRows(
  store: BlobStore,
  place: { location: string; prefix: string },
  spec: TableSpec,
  snapshot: Snapshot,
  days: { from: number; to: number },
): Promise<AnyRow[]> {
  const rows: AnyRow[] = [];
  for (const manifest of await loadManifests(store, place, snapshot)) {
    for (const e of manifest.entries) {
      if (e.status === 2 || e.file.partition_day < days.from || e.file.partition_day > days.to) continue;
      const bytes = await store.get(e.file.key);
      if (!bytes) {
        throw new Error(`Data file ${e.file.path} of snapshot ${snapshot["snapshot-id"]} is missing`);
      }
      rows.push(...decodeParquet(spec, bytes));
    }
  }
  return rows;
}
