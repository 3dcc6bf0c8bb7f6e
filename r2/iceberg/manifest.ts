/**
 * Iceberg v2 data manifests: ManifestEntry ⇄ Avro `manifest_entry` records, with the header
 * key-value metadata v2 requires (schema, partition-spec as the bare field array,
 * partition-spec-id, format-version "2", content "data", plus schema-id).
 */
import type { TableSpec } from "../tables/schemas.ts";
import { decodeAvroContainer } from "../avro/ocf_reader.ts";
import { encodeAvroContainer } from "../avro/ocf_writer.ts";
import type { DataFile } from "./data_file.ts";
import { MANIFEST_CODEC, manifestEntrySchema } from "./manifest_schemas.ts";
import { keyFromUri } from "./paths.ts";
import { partitionFieldsOf, schemaJsonOf } from "./table_metadata.ts";

/** Entry status: 0 EXISTING, 1 ADDED, 2 DELETED. */
export type EntryStatus = 0 | 1 | 2;

/** One manifest entry. ADDED entries leave the sequence numbers null (inherited from the list). */
export interface ManifestEntry {
  status: EntryStatus;
  snapshot_id: bigint | null;
  sequence_number: number | null;
  file_sequence_number: number | null;
  file: DataFile;
}

/** Where a table's files live, to turn manifest URIs back into keys. */
export interface TablePlace {
  location: string;
  prefix: string;
}

/** Encodes a data manifest holding `entries` (uncompressed Avro, see MANIFEST_CODEC). */
export function encodeManifest(spec: TableSpec, entries: readonly ManifestEntry[]): Promise<Uint8Array> {
  const records = entries.map((e) => ({
    status: e.status,
    snapshot_id: e.snapshot_id,
    sequence_number: e.sequence_number,
    file_sequence_number: e.file_sequence_number,
    data_file: dataFileRecord(spec, e.file),
  }));
  return encodeAvroContainer(manifestEntrySchema(spec), records, {
    codec: MANIFEST_CODEC,
    metadata: {
      schema: JSON.stringify(schemaJsonOf(spec)),
      "schema-id": "0",
      "partition-spec": JSON.stringify(partitionFieldsOf(spec)),
      "partition-spec-id": "0",
      "format-version": "2",
      content: "data",
    },
  });
}

/** Decodes a data manifest written by `encodeManifest` (or any v2 writer with a day partition). */
export async function decodeManifest(bytes: Uint8Array, place: TablePlace): Promise<ManifestEntry[]> {
  const { records, metadata } = await decodeAvroContainer(bytes);
  if (metadata.content !== undefined && metadata.content !== "data") {
    throw new Error(`Expected a data manifest, got content "${metadata.content}"`);
  }
  return records.map((r) => {
    const d = r.data_file as Record<string, unknown>;
    const status = r.status as number;
    if (status !== 0 && status !== 1 && status !== 2) {
      throw new Error(`Manifest entry status ${status} is not 0, 1 or 2`);
    }
    const path = d.file_path as string;
    return {
      status,
      snapshot_id: (r.snapshot_id ?? null) as bigint | null,
      sequence_number: numberOrNull(r.sequence_number),
      file_sequence_number: numberOrNull(r.file_sequence_number),
      file: {
        path,
        key: keyFromUri(place.location, place.prefix, path),
        record_count: Number(d.record_count),
        file_size_in_bytes: Number(d.file_size_in_bytes),
        partition_day: Object.values(d.partition as Record<string, number>)[0],
        value_counts: countsOf(d.value_counts),
        null_value_counts: countsOf(d.null_value_counts),
        nan_value_counts: countsOf(d.nan_value_counts),
        lower_bounds: bytesOf(d.lower_bounds),
        upper_bounds: bytesOf(d.upper_bounds),
      },
    };
  });
}

function dataFileRecord(spec: TableSpec, file: DataFile) {
  if (!Number.isInteger(file.partition_day)) {
    throw new TypeError(`${file.path}: partition_day ${file.partition_day} is not an integer`);
  }
  return {
    content: 0,
    file_path: file.path,
    file_format: "PARQUET",
    partition: { [spec.partition.name]: file.partition_day },
    record_count: file.record_count,
    file_size_in_bytes: file.file_size_in_bytes,
    column_sizes: null,
    value_counts: mapArray(file.value_counts),
    null_value_counts: mapArray(file.null_value_counts),
    nan_value_counts: file.nan_value_counts ? mapArray(file.nan_value_counts) : null,
    lower_bounds: mapArray(file.lower_bounds),
    upper_bounds: mapArray(file.upper_bounds),
    key_metadata: null,
    split_offsets: null,
    equality_ids: null,
    sort_order_id: 0,
  };
}

/** An Iceberg int-keyed map as Avro's array of {key, value}, keys ascending. */
function mapArray<V>(map: Record<number, V>): { key: number; value: V }[] {
  return Object.entries(map)
    .map(([key, value]) => ({ key: Number(key), value }))
    .sort((a, b) => a.key - b.key);
}

function countsOf(items: unknown): Record<number, number> {
  const out: Record<number, number> = {};
  for (const { key, value } of (items ?? []) as { key: number; value: bigint }[]) out[key] = Number(value);
  return out;
}

function bytesOf(items: unknown): Record<number, Uint8Array> {
  const out: Record<number, Uint8Array> = {};
  for (const { key, value } of (items ?? []) as { key: number; value: Uint8Array }[]) {
    out[key] = new Uint8Array(value);
  }
  return out;
}

function numberOrNull(value: unknown): number | null {
  return value === null || value === undefined ? null : Number(value);
}
