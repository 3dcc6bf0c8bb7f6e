/**
 * Avro Object Container File writer: magic, a metadata map holding `avro.schema` (the schema
 * JSON exactly as given, so Iceberg's field-id/element-id attributes survive) and `avro.codec`,
 * a 16-byte sync marker, then blocks of records. The sync marker is derived from the content,
 * so the same input always yields the same bytes (a retried commit rewrites identical files).
 */
import { sha256 } from "@noble/hashes/sha2.js";
import { type AvroSchema, avroTypeOf } from "./avro_type.ts";
import { deflateRaw } from "./deflate.ts";
import { writeVarLong } from "./varint.ts";

/** Avro block codecs this writer supports. */
export type AvroCodec = "null" | "deflate";

/** Options of `encodeAvroContainer`. */
export interface AvroContainerOptions {
  /** Extra header key-value metadata (Iceberg writes snapshot ids, schemas… here). */
  metadata?: Readonly<Record<string, string>>;
  /** Block codec; default deflate. */
  codec?: AvroCodec;
  /** Records per block; default 10 000. */
  blockRecords?: number;
}

const MAGIC = [0x4f, 0x62, 0x6a, 0x01];
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
  const type = avroTypeOf(schema);
  const bodies = records.map((record, i) => {
    const errors: string[] = [];
    if (!type.isValid(record, { errorHook: (path) => errors.push(path.join(".")) })) {
      throw new TypeError(`Record ${i} does not match the Avro schema at field(s) ${errors.join(", ")}`);
    }
    return new Uint8Array(type.toBuffer(record));
  });
  const schemaJson = JSON.stringify(schema);
  const header = encodeHeader({ ...options.metadata, "avro.schema": schemaJson, "avro.codec": codec });
  const sync = syncMarker(schemaJson, bodies);
  const parts: Uint8Array[] = [header, sync];
  for (let start = 0; start < bodies.length; start += blockRecords) {
    const block = bodies.slice(start, start + blockRecords);
    const raw = concat(block);
    const data = codec === "deflate" ? await deflateRaw(raw) : raw;
    const prefix: number[] = [];
    writeVarLong(prefix, block.length);
    writeVarLong(prefix, data.length);
    parts.push(new Uint8Array(prefix), data, sync);
  }
  return concat(parts);
}

function encodeHeader(metadata: Record<string, string>): Uint8Array {
  const out: number[] = [...MAGIC];
  const entries = Object.entries(metadata);
  writeVarLong(out, entries.length);
  for (const [key, value] of entries) {
    for (const text of [key, value]) {
      const bytes = encoder.encode(text);
      writeVarLong(out, bytes.length);
      for (const b of bytes) out.push(b);
    }
  }
  writeVarLong(out, 0);
  return new Uint8Array(out);
}

function syncMarker(schemaJson: string, bodies: readonly Uint8Array[]): Uint8Array {
  const hash = sha256.create().update(encoder.encode(schemaJson));
  for (const body of bodies) hash.update(body);
  return hash.digest().slice(0, 16);
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

