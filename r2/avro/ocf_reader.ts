/**
 * Avro Object Container File reader (codecs null and deflate): checks the magic and every sync
 * marker, decodes records with the writer schema from the header, and returns the header's
 * key-value metadata.
 */
import { type AvroSchema, compileAvroSchema } from "./avro_codec.ts";
import { ByteReader } from "./bytes.ts";
import { inflateRaw } from "./deflate.ts";

/** A decoded container file. */
export interface AvroContainer {
  /** The writer schema as parsed from `avro.schema`. */
  schema: AvroSchema;
  /** Header metadata other than `avro.*`, e.g. Iceberg's `snapshot-id`. */
  metadata: Record<string, string>;
  codec: string;
  /** Records as plain objects: longs as BigInt, bytes as Uint8Array, null for absent optionals. */
  records: Record<string, unknown>[];
}

const MAGIC = [0x4f, 0x62, 0x6a, 0x01];

/** Decodes an Avro container file; throws Error saying what is malformed and where. */
export async function decodeAvroContainer(bytes: Uint8Array): Promise<AvroContainer> {
  if (bytes.length < 4 || MAGIC.some((b, i) => bytes[i] !== b)) {
    throw new Error(`Not an Avro container file: first bytes ${[...bytes.slice(0, 4)].join(",")}`);
  }
  const input = new ByteReader(bytes, 4);
  const header: Record<string, string> = {};
  for (;;) {
    let count = input.varNumber();
    if (count === 0) break;
    if (count < 0) { // a negative count is followed by the block's byte size
      count = -count;
      input.varNumber();
    }
    for (let i = 0; i < count; i++) header[input.string()] = input.string();
  }
  const sync = input.take(16);
  const schemaJson = header["avro.schema"];
  if (!schemaJson) throw new Error("Avro header has no avro.schema");
  const codec = header["avro.codec"] ?? "null";
  if (codec !== "null" && codec !== "deflate") throw new Error(`Unsupported Avro codec "${codec}"`);
  const schema = JSON.parse(schemaJson) as AvroSchema;
  const type = compileAvroSchema(schema);
  const records: Record<string, unknown>[] = [];
  for (let block = 0; input.remaining > 0; block++) {
    const count = input.varNumber();
    const size = input.varNumber();
    if (size < 0 || size + 16 > input.remaining) {
      throw new Error(`Avro block ${block} runs past the end of the file`);
    }
    const stored = input.take(size);
    const data = new ByteReader(codec === "deflate" ? await inflateRaw(stored) : stored);
    for (let i = 0; i < count; i++) records.push(type.read(data) as Record<string, unknown>);
    if (data.remaining) {
      throw new Error(`Avro block ${block}: ${data.remaining} bytes after its ${count} records`);
    }
    if (input.take(16).some((b, i) => b !== sync[i])) {
      throw new Error(`Avro block ${block}: sync marker does not match the header's`);
    }
  }
  const metadata = Object.fromEntries(Object.entries(header).filter(([k]) => !k.startsWith("avro.")));
  return { schema, metadata, codec, records };
}
