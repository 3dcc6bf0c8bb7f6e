/**
 * Builds an Apache Arrow table from lake rows with exact Iceberg types: Utf8, Int32, Int64
 * (BigInt), Float64, Bool and Timestamp(MICROSECOND, "UTC"). Rows hold epoch milliseconds;
 * timestamps are stored as microseconds (ms × 1000, exact in BigInt). Every field carries its
 * Iceberg id as `PARQUET:field_id` metadata, and nullability = !required.
 */
import {
  Bool,
  type DataType,
  Field,
  Float64,
  Int32,
  Int64,
  makeData,
  RecordBatch,
  Schema,
  Struct,
  Table,
  TimestampMicrosecond,
  Utf8,
} from "apache-arrow";
import type { ColumnSpec, IcebergPrimitive, TableSpec } from "../tables/schemas.ts";
import type { AnyRow } from "../tables/rows.ts";

const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** The Arrow type of an Iceberg primitive. */
export function arrowTypeOf(type: IcebergPrimitive): DataType {
  switch (type) {
    case "string":
      return new Utf8();
    case "int":
      return new Int32();
    case "long":
      return new Int64();
    case "double":
      return new Float64();
    case "boolean":
      return new Bool();
    case "timestamptz":
      return new TimestampMicrosecond("UTC");
  }
}

/** The Arrow schema of a table: Iceberg field ids as `PARQUET:field_id`, nullable = !required. */
export function arrowSchemaOf(spec: TableSpec): Schema {
  return new Schema(
    spec.columns.map((c) =>
      new Field(c.name, arrowTypeOf(c.type), !c.required, new Map([["PARQUET:field_id", String(c.id)]]))
    ),
  );
}

/** Builds the Arrow table of `rows`; throws TypeError naming the column and row of a bad value. */
export function buildArrowTable(spec: TableSpec, rows: readonly AnyRow[]): Table {
  const schema = arrowSchemaOf(spec);
  const children = spec.columns.map((c, i) => buildColumn(c, schema.fields[i].type, rows));
  const data = makeData({ type: new Struct(schema.fields), length: rows.length, nullCount: 0, children });
  return new Table([new RecordBatch(schema, data)]);
}

function buildColumn(column: ColumnSpec, type: DataType, rows: readonly AnyRow[]) {
  const length = rows.length;
  const valid = new Uint8Array(Math.ceil(length / 8));
  let nullCount = 0;
  const values = rows.map((row, i) => {
    const value = (row as unknown as Record<string, unknown>)[column.name];
    if (value === null || value === undefined) {
      if (column.required) throw new TypeError(`Row ${i}: required column ${column.name} is ${value}`);
      nullCount++;
      return null;
    }
    valid[i >> 3] |= 1 << (i & 7);
    return checkValue(column, value, i);
  });
  const nullBitmap = nullCount ? valid : undefined;
  const base = { length, nullCount, nullBitmap };
  switch (column.type) {
    case "string":
      return makeData({ ...base, type: type as Utf8, ...encodeStrings(values as (string | null)[]) });
    case "int":
      return makeData({
        ...base,
        type: type as Int32,
        data: Int32Array.from(values, (v) => (v ?? 0) as number),
      });
    case "double":
      return makeData({
        ...base,
        type: type as Float64,
        data: Float64Array.from(values, (v) => (v ?? 0) as number),
      });
    case "boolean":
      return makeData({ ...base, type: type as Bool, data: packBits(values as (boolean | null)[]) });
    case "long":
    case "timestamptz":
      return makeData({
        ...base,
        type: type as Int64,
        data: BigInt64Array.from(values, (v) => (v ?? 0n) as bigint),
      });
  }
}

/** Validates one non-null value; returns it in its storage form (BigInt for long/timestamptz). */
function checkValue(column: ColumnSpec, value: unknown, row: number): unknown {
  const bad = (want: string) =>
    new TypeError(`Row ${row}: column ${column.name} (${column.type}) needs ${want}, got ${describe(value)}`);
  switch (column.type) {
    case "string":
      if (typeof value !== "string") throw bad("a string");
      return value;
    case "int":
      if (!Number.isInteger(value) || (value as number) < INT32_MIN || (value as number) > INT32_MAX) {
        throw bad("a 32-bit integer");
      }
      return value;
    case "long": {
      const big = typeof value === "bigint"
        ? value
        : Number.isSafeInteger(value)
        ? BigInt(value as number)
        : null;
      if (big === null || big < INT64_MIN || big > INT64_MAX) throw bad("a safe integer or a 64-bit BigInt");
      return big;
    }
    case "double":
      if (typeof value !== "number") throw bad("a number");
      return value;
    case "boolean":
      if (typeof value !== "boolean") throw bad("a boolean");
      return value;
    case "timestamptz":
      if (!Number.isSafeInteger(value)) throw bad("integer epoch milliseconds");
      return BigInt(value as number) * 1000n;
  }
}

function encodeStrings(values: readonly (string | null)[]): { valueOffsets: Int32Array; data: Uint8Array } {
  const encoder = new TextEncoder();
  const parts = values.map((v) => (v === null ? new Uint8Array(0) : encoder.encode(v)));
  const valueOffsets = new Int32Array(values.length + 1);
  for (let i = 0; i < parts.length; i++) valueOffsets[i + 1] = valueOffsets[i] + parts[i].length;
  const data = new Uint8Array(valueOffsets[values.length]);
  parts.forEach((p, i) => data.set(p, valueOffsets[i]));
  return { valueOffsets, data };
}

function packBits(values: readonly (boolean | null)[]): Uint8Array {
  const bits = new Uint8Array(Math.ceil(values.length / 8));
  values.forEach((v, i) => {
    if (v) bits[i >> 3] |= 1 << (i & 7);
  });
  return bits;
}

function describe(value: unknown): string {
  if (typeof value === "bigint") return `${value}n`;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  const json = JSON.stringify(value);
  return `${typeof value} ${json === undefined ? String(value) : json.slice(0, 80)}`;
}
