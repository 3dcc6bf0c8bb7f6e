/**
 * Avro Object Container File writer: magic, a metadata map holding `avro.schema` (the schema
 * JSON exactly as given, so Iceberg's field-id/element-id attributes survive) and `avro.codec`,
 * a 16-byte sync marker, then blocks of records. The sync marker is derived from the content,
 * so the same input always yields the same bytes (a retried commit rewrites identical files).
 */
import { sha256 } from "@noble/hashes/sha2.js";
import { type AvroSchema, compileAvroSchema } from "./avro_codec.ts";
import { ByteWriter } from "./bytes.ts";
import { deflateRaw } from "./deflate.ts";

/** Avro block codecs this writer supports. */
export type AvroCodecName = "null" | "deflate";

/** Options of `encodeAvroContainer`. */
export interface AvroContainerOptions {
  /** Extra header key-value metadata (Iceberg writes snapshot ids, schemas… here). */
  metadata?: Readonly<Record<string, string>>;
  /** Block codec; default deflate. */
  codec?: AvroCodecName;
  /** Records per block; default 10 000. */
  blockRecords?: number;
}

const MAGIC = new Uint8Array([0x4f, 0x62, 0x6a, 0x01]);
const encoder = new TextEncoder();

/** Encodes `records` (plain objects matching `schema`) as an Avro container file. */
export async function encodeAvroContainer(
  schema: AvroSchema,
  records: readonly unknown[],
  options: AvroContainerOptions = {},
): Promise<Uint8Array> {
  const codec = options.codec ?? "deflate";
  if (codec !== "null" && codec !== "deflate") throw new RangeError(`Unsupported Avro codec "${codec}"`);
  const blockRecords = options.blockRecords ?? 10_000;
  if (!Number.isInteger(blockRecords) || blockRecords < 1) {
    throw new RangeError(`blockRecords must be a positive integer, got ${blockRecords}`);
  }
  const type = compileAvroSchema(schema);
  const schemaJson = JSON.stringify(schema);
  const blocks: Uint8Array[] = [];
  for (let start = 0; start < records.length; start += blockRecords) {
    const body = new ByteWriter();
    const end = Math.min(start + blockRecords, records.length);
    for (let i = start; i < end; i++) type.write(records[i], body, `record ${i}`);
    blocks.push(body.toBytes());
  }
  const sync = syncMarker(schemaJson, blocks);
  const out = new ByteWriter();
  out.raw(MAGIC);
  const metadata = { ...options.metadata, "avro.schema": schemaJson, "avro.codec": codec };
  out.varLong(Object.keys(metadata).length);
  for (const [key, value] of Object.entries(metadata)) (out.string(key), out.sized(encoder.encode(value)));
  out.varLong(0);
  out.raw(sync);
  for (const [i, raw] of blocks.entries()) {
    const data = codec === "deflate" ? await deflateRaw(raw) : raw;
    out.varLong(Math.min(blockRecords, records.length - i * blockRecords));
    out.sized(data);
    out.raw(sync);
  }
  return out.toBytes();
}

function syncMarker(schemaJson: string, blocks: readonly Uint8Array[]): Uint8Array {
  const hash = sha256.create().update(encoder.encode(schemaJson));
  for (const block of blocks) hash.update(block);
  return hash.digest().slice(0, 16);
}
