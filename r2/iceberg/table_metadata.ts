/**
 * Iceberg v2 table metadata (`v<N>.metadata.json`): the JSON shape (kebab-case keys, exactly as
 * stored), creation of a table's first version, and parsing/serialising with 63-bit ids kept
 * exact as BigInt.
 */
import type { TableSpec } from "../tables/schemas.ts";
import { parseJsonBig, stringifyJsonBig } from "./json_big.ts";

/** One snapshot as stored in the metadata. */
export interface Snapshot {
  "snapshot-id": bigint;
  "parent-snapshot-id"?: bigint;
  "sequence-number": number;
  "timestamp-ms": number;
  "manifest-list": string;
  summary: Record<string, string> & { operation: string };
  "schema-id": number;
}

/** The parsed metadata of one table version (unknown keys are preserved on rewrite). */
export interface TableMetadata {
  "format-version": 2;
  "table-uuid": string;
  location: string;
  "last-sequence-number": number;
  "last-updated-ms": number;
  "last-column-id": number;
  "current-schema-id": number;
  schemas: unknown[];
  "default-spec-id": number;
  "partition-specs": { "spec-id": number; fields: PartitionFieldJson[] }[];
  "last-partition-id": number;
  "default-sort-order-id": number;
  "sort-orders": unknown[];
  properties: Record<string, string>;
  "current-snapshot-id"?: bigint | null;
  snapshots: Snapshot[];
  refs: Record<string, { "snapshot-id": bigint; type: "branch" | "tag" }>;
  "snapshot-log": { "snapshot-id": bigint; "timestamp-ms": number }[];
  "metadata-log": { "metadata-file": string; "timestamp-ms": number }[];
}

/** A partition field as Iceberg JSON writes it. */
export interface PartitionFieldJson {
  "source-id": number;
  "field-id": number;
  name: string;
  transform: string;
}

/** Options of `createTableMetadata`. */
export interface CreateTableOptions {
  location: string;
  tableUuid: string;
  nowMs: number;
  properties?: Readonly<Record<string, string>>;
}

/** Properties every table gets (callers may add more). */
export const DEFAULT_PROPERTIES: Readonly<Record<string, string>> = {
  "write.format.default": "parquet",
  "write.parquet.compression-codec": "zstd",
};

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const BIG_KEYS = new Set(["snapshot-id", "parent-snapshot-id", "current-snapshot-id"]);
const REQUIRED = [
  "table-uuid",
  "location",
  "last-sequence-number",
  "last-updated-ms",
  "last-column-id",
  "schemas",
  "current-schema-id",
  "partition-specs",
  "default-spec-id",
  "last-partition-id",
  "sort-orders",
  "default-sort-order-id",
];

/** The Iceberg schema JSON of a table (schema-id 0). */
export function schemaJsonOf(spec: TableSpec): { type: "struct"; "schema-id": number; fields: unknown[] } {
  return {
    type: "struct",
    "schema-id": 0,
    fields: spec.columns.map((c) => ({ id: c.id, name: c.name, required: c.required, type: c.type })),
  };
}

/** The partition fields of a table's spec 0. */
export function partitionFieldsOf(spec: TableSpec): PartitionFieldJson[] {
  const p = spec.partition;
  return [{ "source-id": p.sourceId, "field-id": p.fieldId, name: p.name, transform: p.transform }];
}

/** The first metadata version of a new table: no snapshots, sequence number 0. */
export function newTableMetadata(spec: TableSpec, options: CreateTableOptions): TableMetadata {
  if (!UUID.test(options.tableUuid)) {
    throw new RangeError(`Table UUID must be a UUID, got "${options.tableUuid}"`);
  }
  if (!/^[a-z][a-z0-9+.-]*:\/\/.+[^/]$/i.test(options.location)) {
    throw new RangeError(
      `Location must be an absolute URI without a trailing "/", got "${options.location}"`,
    );
  }
  if (!Number.isSafeInteger(options.nowMs)) {
    throw new RangeError(`nowMs must be integer epoch ms, got ${options.nowMs}`);
  }
  return {
    "format-version": 2,
    "table-uuid": options.tableUuid.toLowerCase(),
    location: options.location,
    "last-sequence-number": 0,
    "last-updated-ms": options.nowMs,
    "last-column-id": Math.max(...spec.columns.map((c) => c.id)),
    "current-schema-id": 0,
    schemas: [schemaJsonOf(spec)],
    "default-spec-id": 0,
    "partition-specs": [{ "spec-id": 0, fields: partitionFieldsOf(spec) }],
    "last-partition-id": spec.partition.fieldId,
    "default-sort-order-id": 0,
    "sort-orders": [{ "order-id": 0, fields: [] }],
    properties: { ...DEFAULT_PROPERTIES, ...options.properties },
    snapshots: [],
    refs: {},
    "snapshot-log": [],
    "metadata-log": [],
  };
}

/** The JSON text of a new table's v1 metadata. */
export function createTableMetadata(spec: TableSpec, options: CreateTableOptions): string {
  return serializeTableMetadata(newTableMetadata(spec, options));
}

/** Serialises metadata; BigInt ids become bare integer literals. */
export function serializeTableMetadata(metadata: TableMetadata): string {
  return stringifyJsonBig(metadata);
}

/** Parses metadata JSON (ids as BigInt); throws Error when it is not a v2 table's metadata. */
export function parseTableMetadata(text: string): TableMetadata {
  const json = parseJsonBig(text, BIG_KEYS) as Record<string, unknown>;
  if (json === null || typeof json !== "object") throw new Error("Table metadata is not a JSON object");
  if (json["format-version"] !== 2) {
    throw new Error(`Table metadata format-version must be 2, got ${json["format-version"]}`);
  }
  const missing = REQUIRED.filter((k) => !(k in json));
  if (missing.length) throw new Error(`Table metadata lacks required field(s): ${missing.join(", ")}`);
  // Optional lists and maps default to empty, appended so the stored key order is kept.
  const defaults = { properties: {}, snapshots: [], refs: {}, "snapshot-log": [], "metadata-log": [] };
  return {
    ...json,
    ...Object.fromEntries(Object.entries(defaults).filter(([k]) => !(k in json))),
  } as unknown as TableMetadata;
}

/** The current snapshot, or undefined for a table without one. */
export function currentSnapshot(metadata: TableMetadata): Snapshot | undefined {
  const id = metadata["current-snapshot-id"];
  if (id === undefined || id === null || id === -1n) return undefined;
  const snapshot = metadata.snapshots.find((s) => s["snapshot-id"] === id);
  if (!snapshot) throw new Error(`current-snapshot-id ${id} is not among the table's snapshots`);
  return snapshot;
}
