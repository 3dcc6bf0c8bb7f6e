/**
 * The Avro schemas of Iceberg v2 manifests (`manifest_entry`) and manifest lists
 * (`manifest_file`), with the spec's field ids on every field, `element-id` on arrays and
 * int-keyed maps as arrays of `k<key-id>_v<value-id>` records marked `"logicalType": "map"`.
 * Record names follow Java and PyIceberg (`r2`, `r102`, `r508`).
 */
import type { TableSpec } from "../tables/schemas.ts";

/**
 * Avro block codec of manifests and manifest lists: uncompressed. Every Avro reader must support
 * "null", and the bytes are identical on every runtime. icebird 0.3.1 (hyparquet-compressors'
 * inflater) misreads some raw-deflate blocks (small ones, and Deno's CompressionStream output),
 * so deflate is not used for the lake even though the container writer supports it.
 */
export const MANIFEST_CODEC = "null";

const optional = (name: string, type: unknown, fieldId: number) => ({
  name,
  type: ["null", type],
  default: null,
  "field-id": fieldId,
});

const required = (name: string, type: unknown, fieldId: number) => ({ name, type, "field-id": fieldId });

const intMap = (name: string, fieldId: number, keyId: number, valueId: number, valueType: string) =>
  optional(name, {
    type: "array",
    logicalType: "map",
    items: {
      type: "record",
      name: `k${keyId}_v${valueId}`,
      fields: [required("key", "int", keyId), required("value", valueType, valueId)],
    },
  }, fieldId);

/** The `manifest_entry` schema of a table's data manifests (partition record `r102`). */
export function manifestEntrySchema(spec: TableSpec) {
  const partition = {
    type: "record",
    name: "r102",
    fields: [optional(spec.partition.name, { type: "int", logicalType: "date" }, spec.partition.fieldId)],
  };
  const dataFile = {
    type: "record",
    name: "r2",
    fields: [
      required("content", "int", 134),
      required("file_path", "string", 100),
      required("file_format", "string", 101),
      required("partition", partition, 102),
      required("record_count", "long", 103),
      required("file_size_in_bytes", "long", 104),
      intMap("column_sizes", 108, 117, 118, "long"),
      intMap("value_counts", 109, 119, 120, "long"),
      intMap("null_value_counts", 110, 121, 122, "long"),
      intMap("nan_value_counts", 137, 138, 139, "long"),
      intMap("lower_bounds", 125, 126, 127, "bytes"),
      intMap("upper_bounds", 128, 129, 130, "bytes"),
      optional("key_metadata", "bytes", 131),
      optional("split_offsets", { type: "array", items: "long", "element-id": 133 }, 132),
      optional("equality_ids", { type: "array", items: "int", "element-id": 136 }, 135),
      optional("sort_order_id", "int", 140),
    ],
  };
  return {
    type: "record",
    name: "manifest_entry",
    fields: [
      required("status", "int", 0),
      optional("snapshot_id", "long", 1),
      optional("sequence_number", "long", 3),
      optional("file_sequence_number", "long", 4),
      required("data_file", dataFile, 2),
    ],
  };
}

/** The `manifest_file` schema of manifest lists (partition summaries `r508`). */
export const MANIFEST_FILE_SCHEMA = {
  type: "record",
  name: "manifest_file",
  fields: [
    required("manifest_path", "string", 500),
    required("manifest_length", "long", 501),
    required("partition_spec_id", "int", 502),
    required("content", "int", 517),
    required("sequence_number", "long", 515),
    required("min_sequence_number", "long", 516),
    required("added_snapshot_id", "long", 503),
    required("added_files_count", "int", 504),
    required("existing_files_count", "int", 505),
    required("deleted_files_count", "int", 506),
    required("added_rows_count", "long", 512),
    required("existing_rows_count", "long", 513),
    required("deleted_rows_count", "long", 514),
    optional("partitions", {
      type: "array",
      items: {
        type: "record",
        name: "r508",
        fields: [
          required("contains_null", "boolean", 509),
          optional("contains_nan", "boolean", 518),
          optional("lower_bound", "bytes", 510),
          optional("upper_bound", "bytes", 511),
        ],
      },
      "element-id": 508,
    }, 507),
    optional("key_metadata", "bytes", 519),
  ],
} as const;
