/**
 * Avro Object Container File reader (codecs null and deflate): checks the magic and every sync
 * marker, decodes records with the writer schema from the header, and returns the header's
 * key-value metadata.
 */
import { asBuffer, type AvroSchema, avroTypeOf } from "./avro_type.ts";
import { inflateRaw } from "./deflate.ts";
import { readVarLong } from "./varint.ts";

/** A decoded container file. */
export interface AvroContainer {
  /** The writer schema as parsed from `avro.schema`. */
  schema: AvroSchema;
  /** Header metadata other than `avro.*`, e.g. Iceberg's `snapshot-id`. */
  metadata: Record<string, string>;
  codec: string;
  /** Records as avsc decodes them: longs as BigInt, bytes as Buffer, null for absent optionals. */
  records: Record<string, unknown>[];
}

const MAGIC = [0x4f, 0x62, 0x6a, 0x01];
const decoder = new TextDecoder();

/** Decodes an Avro container file; throws Error saying what is malformed and where. */
export async function decodeAvroContainer(bytes: Uint8Array): Promise<AvroContainer> {
  if (bytes.length < 4 || MAGIC.some((b, i) => bytes[i] !== b)) {
    throw new Error(`Not an Avro container file: first bytes ${[...bytes.slice(0, 4)].join(",")}`);
  }
  let pos = 4;
  const header: Record<string, string> = {};
  for (;;) {
    let { value: count, next } = readVarLong(bytes, pos);
    pos = next;
    if (count === 0) break;
    if (count < 0) { // a negative count is followed by the block's byte size
      count = -count;
      pos = readVarLong(bytes, pos).next;
    }
    for (let i = 0; i < count; i++) {
      const key = readBytes(bytes, pos);
      const value = readBytes(bytes, key.next);
      header[decoder.decode(key.bytes)] = decoder.decode(value.bytes);
      pos = value.next;
    }
  }
  const sync = bytes.slice(pos, pos + 16);
  if (sync.length !== 16) throw new Error("Avro header ends before its 16-byte sync marker");
  pos += 16;
  const schemaJson = header["avro.schema"];
  if (!schemaJson) throw new Error("Avro header has no avro.schema");
  const codec = header["avro.codec"] ?? "null";
  if (codec !== "null" && codec !== "deflate") throw new Error(`Unsupported Avro codec "${codec}"`);
  const schema = JSON.parse(schemaJson) as AvroSchema;
  const type = avroTypeOf(schema);
  const records: Record<string, unknown>[] = [];
  for (let block = 0; pos < bytes.length; block++) {
    const count = readVarLong(bytes, pos);
    const size = readVarLong(bytes, count.next);
    const end = size.next + size.value;
    if (size.value < 0 || end + 16 > bytes.length) throw new Error(`Avro block ${block} runs past the end of the file`);
    const stored = bytes.subarray(size.next, end);
    const data = asBuffer(codec === "deflate" ? await inflateRaw(stored) : stored);
    let offset = 0;
    for (let i = 0; i < count.value; i++) {
      const decoded = type.decode(data, offset);
      if (decoded.offset < 0) throw new Error(`Avro block ${block}: record ${i} is truncated`);
      records.push(decoded.value as Record<string, unknown>);
      offset = decoded.offset;
    }
    if (offset !== data.length) throw new Error(`Avro block ${block}: ${data.length - offset} bytes after its records`);
    if (bytes.subarray(end, end + 16).some((b, i) => b !== sync[i])) {
      throw new Error(`Avro block ${block}: sync marker does not match the header's`);
    }
    pos = end + 16;
  }
  const metadata = Object.fromEntries(Object.entries(header).filter(([k]) => !k.startsWith("avro.")));
  return { schema, metadata, codec, records };
}

function readBytes(bytes: Uint8Array, pos: number): { bytes: Uint8Array; next: number } {
  const { value: length, next } = readVarLong(bytes, pos);
  if (length < 0 || next + length > bytes.length) throw new Error(`Bad Avro bytes length ${length} at byte ${pos}`);
  return { bytes: bytes.subarray(next, next + length), next: next + length };
}
