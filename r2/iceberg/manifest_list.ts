/**
 * Iceberg v2 manifest lists: ManifestFile ⇄ Avro `manifest_file` records, the per-manifest
 * summary of its entries (exact counts by status, min live sequence number, partition day
 * bounds as 4-byte little-endian ints), and the list's header metadata.
 */
import { decodeAvroContainer } from "../avro/ocf_reader.ts";
import { encodeAvroContainer } from "../avro/ocf_writer.ts";
import { MANIFEST_CODEC, MANIFEST_FILE_SCHEMA } from "./manifest_schemas.ts";
import { encodeSingleValue } from "./bounds.ts";
import type { ManifestEntry } from "./manifest.ts";

/** Summary of one partition field over a manifest's entries. */
export interface FieldSummary {
  contains_null: boolean;
  contains_nan: boolean | null;
  lower_bound: Uint8Array | null;
  upper_bound: Uint8Array | null;
}

/** One manifest list record. */
export interface ManifestFile {
  manifest_path: string;
  manifest_length: number;
  partition_spec_id: number;
  content: number;
  sequence_number: number;
  min_sequence_number: number;
  added_snapshot_id: bigint;
  added_files_count: number;
  existing_files_count: number;
  deleted_files_count: number;
  added_rows_count: number;
  existing_rows_count: number;
  deleted_rows_count: number;
  partitions: FieldSummary[] | null;
}

/** The snapshot a manifest list belongs to (written into its header). */
export interface ManifestListHeader {
  snapshotId: bigint;
  parentSnapshotId: bigint | null;
  sequenceNumber: number;
}

/** Summarises a manifest written by snapshot `snapshotId` with sequence number `sequenceNumber`. */
export function summarizeManifest(
  entries: readonly ManifestEntry[],
  where: { path: string; length: number; snapshotId: bigint; sequenceNumber: number },
): ManifestFile {
  const count = (status: number) => entries.filter((e) => e.status === status);
  const rows = (list: readonly ManifestEntry[]) => list.reduce((n, e) => n + e.file.record_count, 0);
  const live = entries.filter((e) => e.status !== 2).map((e) => e.sequence_number ?? where.sequenceNumber);
  const days = entries.map((e) => e.file.partition_day);
  return {
    manifest_path: where.path,
    manifest_length: where.length,
    partition_spec_id: 0,
    content: 0,
    sequence_number: where.sequenceNumber,
    min_sequence_number: live.length ? live.reduce((a, b) => Math.min(a, b)) : where.sequenceNumber,
    added_snapshot_id: where.snapshotId,
    added_files_count: count(1).length,
    existing_files_count: count(0).length,
    deleted_files_count: count(2).length,
    added_rows_count: rows(count(1)),
    existing_rows_count: rows(count(0)),
    deleted_rows_count: rows(count(2)),
    partitions: [{
      contains_null: false,
      contains_nan: false,
      lower_bound: days.length ? encodeSingleValue("int", days.reduce((a, b) => Math.min(a, b))) : null,
      upper_bound: days.length ? encodeSingleValue("int", days.reduce((a, b) => Math.max(a, b))) : null,
    }],
  };
}

/** Encodes a manifest list (uncompressed Avro, see MANIFEST_CODEC) with Java/PyIceberg's header keys. */
export function encodeManifestList(
  files: readonly ManifestFile[],
  header: ManifestListHeader,
): Promise<Uint8Array> {
  const records = files.map((f) => ({ ...f, key_metadata: null }));
  return encodeAvroContainer(MANIFEST_FILE_SCHEMA, records, {
    codec: MANIFEST_CODEC,
    metadata: {
      "snapshot-id": header.snapshotId.toString(),
      "parent-snapshot-id": header.parentSnapshotId === null ? "null" : header.parentSnapshotId.toString(),
      "sequence-number": String(header.sequenceNumber),
      "format-version": "2",
    },
  });
}

/** Decodes a manifest list. */
export async function decodeManifestList(bytes: Uint8Array): Promise<ManifestFile[]> {
  const { records } = await decodeAvroContainer(bytes);
  return records.map((r) => ({
    manifest_path: r.manifest_path as string,
    manifest_length: Number(r.manifest_length),
    partition_spec_id: r.partition_spec_id as number,
    content: r.content as number,
    sequence_number: Number(r.sequence_number),
    min_sequence_number: Number(r.min_sequence_number),
    added_snapshot_id: r.added_snapshot_id as bigint,
    added_files_count: r.added_files_count as number,
    existing_files_count: r.existing_files_count as number,
    deleted_files_count: r.deleted_files_count as number,
    added_rows_count: Number(r.added_rows_count),
    existing_rows_count: Number(r.existing_rows_count),
    deleted_rows_count: Number(r.deleted_rows_count),
    partitions: (r.partitions as Record<string, unknown>[] | null)?.map((p) => ({
      contains_null: p.contains_null as boolean,
      contains_nan: (p.contains_nan ?? null) as boolean | null,
      lower_bound: p.lower_bound ? new Uint8Array(p.lower_bound as Uint8Array) : null,
      upper_bound: p.upper_bound ? new Uint8Array(p.upper_bound as Uint8Array) : null,
    })) ?? null,
  }));
}
