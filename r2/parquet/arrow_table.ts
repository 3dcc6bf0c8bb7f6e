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

/**
 * Builds the Arrow table of `rows`; throws TypeError naming the column and row of a bad value.
 * `firstRow` is the number of the first row in its file (a file is built in pieces), for messages.
 */
export function buildArrowTable(spec: TableSpec, rows: readonly AnyRow[], firstRow = 0): Table {
  const schema = arrowSchemaOf(spec);
  const children = spec.columns.map((c, i) => buildColumn(c, schema.fields[i].type, rows, firstRow));
  const data = makeData({ type: new Struct(schema.fields), length: rows.length, nullCount: 0, children });
  return new Table([new RecordBatch(schema, data)]);
}

function buildColumn(column: ColumnSpec, type: DataType, rows: readonly AnyRow[], firstRow: number) {
  const length = rows.length;
  const valid = new Uint8Array(Math.ceil(length / 8));
  let nullCount = 0;
  const values: unknown[] = new Array(length);
  for (let i = 0; i < length; i++) {
    const value = (rows[i] as unknown as Record<string, unknown>)[column.name];
    if (value === null || value === undefined) {
      if (column.required) {
        throw new TypeError(`Row ${firstRow + i}: required column ${column.name} is ${value}`);
      }
      nullCount++;
      values[i] = null;
      continue;
    }
    valid[i >> 3] |= 1 << (i & 7);
    values[i] = checkValue(column, value, firstRow + i);
  }
  const nullBitmap = nullCount ? valid : undefined;
  const base = { length, nullCount, nullBitmap };
  // Plain loops into preallocated buffers: no per-value objects (BigInts, encoded strings) that
  // outlive a scavenge, which made the cost per row grow with the rows per file.
  switch (column.type) {
    case "string":
      return makeData({ ...base, type: type as Utf8, ...encodeStrings(values as (string | null)[]) });
    case "int": {
      const data = new Int32Array(length);
      for (let i = 0; i < length; i++) data[i] = (values[i] ?? 0) as number;
      return makeData({ ...base, type: type as Int32, data });
    }
    case "double": {
      const data = new Float64Array(length);
      for (let i = 0; i < length; i++) data[i] = (values[i] ?? 0) as number;
      return makeData({ ...base, type: type as Float64, data });
    }
    case "boolean":
      return makeData({ ...base, type: type as Bool, data: packBits(values as (boolean | null)[]) });
    case "long":
    case "timestamptz":
      return makeData({
        ...base,
        type: type as Int64,
        data: encodeInt64(values as (number | bigint | null)[], column.type === "timestamptz" ? 1000 : 1),
      });
  }
}

const TWO_32 = 2 ** 32;

/**
 * 64-bit integers as little-endian words (Arrow's byte order, and the typed arrays' on every
 * platform that runs this): a value × `scale` that is a safe integer is written as two 32-bit
 * words without a BigInt; anything larger goes through BigInt, exactly.
 */
function encodeInt64(values: readonly (number | bigint | null)[], scale: 1 | 1000): BigInt64Array {
  const data = new BigInt64Array(values.length);
  const words = new Int32Array(data.buffer);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v === null) continue;
    if (typeof v === "bigint") {
      data[i] = v * BigInt(scale);
      continue;
    }
    const scaled = v * scale;
    if (Number.isSafeInteger(scaled)) {
      words[2 * i] = scaled | 0;
      words[2 * i + 1] = Math.floor(scaled / TWO_32) | 0;
    } else {
      data[i] = BigInt(v) * BigInt(scale);
    }
  }
  return data;
}

/** Validates one non-null value; returns it (range-checked numbers stay numbers). */
function checkValue(column: ColumnSpec, value: unknown, row: number): unknown {
  switch (column.type) {
    case "string":
      if (typeof value !== "string") throw badValue(column, value, row, "a string");
      return value;
    case "int":
      if (!Number.isInteger(value) || (value as number) < INT32_MIN || (value as number) > INT32_MAX) {
        throw badValue(column, value, row, "a 32-bit integer");
      }
      return value;
    case "long":
      if (
        typeof value === "bigint" ? value >= INT64_MIN && value <= INT64_MAX : Number.isSafeInteger(value)
      ) {
        return value;
      }
      throw badValue(column, value, row, "a safe integer or a 64-bit BigInt");
    case "double":
      if (typeof value !== "number") throw badValue(column, value, row, "a number");
      return value;
    case "boolean":
      if (typeof value !== "boolean") throw badValue(column, value, row, "a boolean");
      return value;
    case "timestamptz":
      if (!Number.isSafeInteger(value)) throw badValue(column, value, row, "integer epoch milliseconds");
      return value;
  }
}

function badValue(column: ColumnSpec, value: unknown, row: number, want: string): TypeError {
  return new TypeError(
    `Row ${row}: column ${column.name} (${column.type}) needs ${want}, got ${describe(value)}`,
  );
}

/**
 * Strings up to this length are copied by hand when ASCII: `encodeInto` needs a view of the buffer
 * per string and answers with an object, ≈ 150 bytes of garbage per value, 10 MB for the 7,500
 * rows of a large batch's silver file — more than its Arrow buffers.
 */
const SHORT_STRING = 64;

/**
 * UTF-8 of every string into one buffer (no array buffer per string): sized for ASCII, and when a
 * string does not fit, grown once to what the rest needs at the bytes per character seen so far.
 * A short string is tried as ASCII first; from its first other character on, `encodeInto` rewrites it.
 */
function encodeStrings(values: readonly (string | null)[]): { valueOffsets: Int32Array; data: Uint8Array } {
  const encoder = new TextEncoder();
  const valueOffsets = new Int32Array(values.length + 1);
  let chars = 0;
  for (const v of values) if (v !== null) chars += v.length;
  let buffer = new Uint8Array(chars + 64);
  let at = 0;
  let done = 0; // characters encoded so far
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v !== null && v.length > 0) {
      if (copyShortAscii(v, buffer, at)) {
        at += v.length;
      } else {
        let result = encoder.encodeInto(v, buffer.subarray(at));
        if (result.read < v.length) {
          // UTF-8 takes at most 3 bytes per UTF-16 unit: room for this string at worst, the rest as seen.
          const rest = Math.ceil((chars - done - v.length) * Math.max(1, at / Math.max(1, done)) * 1.1);
          const grown = new Uint8Array(at + v.length * 3 + rest + 64);
          grown.set(buffer.subarray(0, at));
          buffer = grown;
          result = encoder.encodeInto(v, buffer.subarray(at));
        }
        at += result.written;
      }
      done += v.length;
    }
    valueOffsets[i + 1] = at;
  }
  return { valueOffsets, data: buffer.subarray(0, at) };
}

/** Copies `text` to `buffer` at `at` when it is short, ASCII and fits; false (bytes perhaps written) if not. */
function copyShortAscii(text: string, buffer: Uint8Array, at: number): boolean {
  if (text.length > SHORT_STRING || at + text.length > buffer.length) return false;
  for (let j = 0; j < text.length; j++) {
    const c = text.charCodeAt(j);
    if (c >= 0x80) return false;
    buffer[at + j] = c;
  }
  return true;
}

function packBits(values: readonly (boolean | null)[]): Uint8Array {
  const bits = new Uint8Array(Math.ceil(values.length / 8));
  for (let i = 0; i < values.length; i++) if (values[i]) bits[i >> 3] |= 1 << (i & 7);
  return bits;
}

function describe(value: unknown): string {
  if (typeof value === "bigint") return `${value}n`;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  const json = JSON.stringify(value);
  return `${typeof value} ${json === undefined ? String(value) : json.slice(0, 80)}`;
}
