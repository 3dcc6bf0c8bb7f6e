/**
 * avsc types for Iceberg's Avro files: Avro `long` maps to BigInt on read (snapshot ids are
 * 63-bit) and accepts a safe integer or a BigInt on write. avsc needs Node's Buffer (workerd has
 * it through nodejs_compat), imported explicitly.
 */
import { Buffer } from "node:buffer";
import avsc from "avsc";

/** An Avro schema as JSON (records, unions, arrays, with Iceberg's extra attributes). */
export type AvroSchema = string | readonly AvroSchema[] | { readonly [key: string]: unknown };

const BigIntLong = avsc.types.LongType.__with({
  fromBuffer: (buf: Uint8Array) => new DataView(buf.buffer, buf.byteOffset, 8).getBigInt64(0, true),
  toBuffer: (n: bigint | number) => {
    const buf = Buffer.alloc(8);
    new DataView(buf.buffer, buf.byteOffset, 8).setBigInt64(0, BigInt(n), true);
    return buf;
  },
  fromJSON: (x: unknown) => BigInt(x as string),
  toJSON: (n: bigint) => Number(n),
  isValid: (n: unknown) =>
    (typeof n === "bigint" && n >= -(2n ** 63n) && n < 2n ** 63n) || Number.isSafeInteger(n),
  compare: (a: bigint, b: bigint) => (a === b ? 0 : a < b ? -1 : 1),
});

/** The avsc Type of `schema`, with BigInt longs; unions stay unwrapped (`null` or the value). */
export function avroTypeOf(schema: AvroSchema): avsc.Type {
  return avsc.Type.forSchema(schema as avsc.Schema, { registry: { long: BigIntLong }, wrapUnions: false });
}

/** A Buffer view of `bytes` (no copy): what avsc's `bytes` type expects. */
export function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
