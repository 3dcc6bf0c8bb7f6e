import { spawnSync } from "node:child_process";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "vitest";
import avsc from "avsc";
import type { AvroSchema } from "./avro_codec.ts";
import { decodeAvroContainer } from "./ocf_reader.ts";
import { type AvroCodecName, encodeAvroContainer } from "./ocf_writer.ts";

/** An Iceberg-flavoured schema: field ids, a long, optional bytes, an int-keyed map as array. */
const SCHEMA = {
  type: "record",
  name: "entry",
  fields: [
    { name: "id", type: "long", "field-id": 1 },
    { name: "name", type: "string", "field-id": 2 },
    { name: "blob", type: ["null", "bytes"], default: null, "field-id": 3 },
    {
      name: "counts",
      type: ["null", {
        type: "array",
        logicalType: "map",
        items: {
          type: "record",
          name: "k4_v5",
          fields: [{ name: "key", type: "int", "field-id": 4 }, {
            name: "value",
            type: "long",
            "field-id": 5,
          }],
        },
      }],
      default: null,
      "field-id": 6,
    },
    {
      name: "offsets",
      type: ["null", { type: "array", items: "long", "element-id": 8 }],
      default: null,
      "field-id": 7,
    },
    { name: "day", type: ["null", { type: "int", logicalType: "date" }], default: null, "field-id": 9 },
  ],
} as const satisfies AvroSchema;

const record = (i: number) => ({
  id: i % 2 ? 9_223_372_036_854_775_807n - BigInt(i) : BigInt(-i),
  name: i % 3 ? `name ${i} ü 😀` : "",
  blob: i % 4 ? new Uint8Array([i & 255, 0, 255]) : null,
  counts: i % 5 ? [{ key: i, value: BigInt(i) * 1_000_000_007n }, { key: -1, value: 0 }] : null,
  offsets: i % 2 ? [4, 1_000_000_000_000] : [],
  day: i % 3 ? 20089 - i : null,
});

/** avsc (Node) as an independent decoder: its own container framing, zlib inflate, BigInt longs. */
const BigLong = avsc.types.LongType.__with({
  fromBuffer: (b: Buffer) => b.readBigInt64LE(),
  toBuffer: (n: bigint) => {
    const b = Buffer.alloc(8);
    b.writeBigInt64LE(n);
    return b;
  },
  fromJSON: BigInt,
  toJSON: Number,
  isValid: (n: unknown) => typeof n === "bigint",
  compare: (a: bigint, b: bigint) => (a === b ? 0 : a < b ? -1 : 1),
});

function decodeWithAvsc(path: string): Promise<{ records: unknown[]; meta: Record<string, string> }> {
  return new Promise((resolve, reject) => {
    const records: unknown[] = [];
    let meta: Record<string, string> = {};
    avsc.createFileDecoder(path, {
      parseHook: (schema: avsc.Schema) => avsc.Type.forSchema(schema, { registry: { long: BigLong } }),
    } as never)
      .on("metadata", (_type: unknown, _codec: string, header: { meta: Record<string, Buffer> }) => {
        meta = Object.fromEntries(Object.entries(header.meta).map(([k, v]) => [k, v.toString()]));
      })
      .on("data", (record: unknown) => records.push(record))
      .on("end", () => resolve({ records, meta }))
      .on("error", reject);
  });
}

const hasAvrocat = spawnSync("avrocat", ["/dev/null"]).error === undefined;

/** What a decoder returns for `record(i)`: longs as BigInt, bytes as Uint8Array. */
const expectedBack = (r: ReturnType<typeof record>) => ({
  ...r,
  counts: r.counts && r.counts.map((c) => ({ key: c.key, value: BigInt(c.value) })),
  offsets: r.offsets.map(BigInt),
});

/** Deep copy into plain objects and plain Uint8Arrays (avsc yields Record classes and Buffers). */
function plain(value: unknown): unknown {
  if (value instanceof Uint8Array) return new Uint8Array(value);
  if (Array.isArray(value)) return value.map(plain);
  if (value && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plain(v)]));
  }
  return value;
}

describe("Avro container files", () => {
  for (const codec of ["deflate", "null"] as AvroCodecName[]) {
    it(`round-trip records, metadata and the exact schema JSON (codec ${codec}, 3 blocks)`, async ({ expect }) => {
      const records = Array.from({ length: 25 }, (_, i) => record(i));
      const bytes = await encodeAvroContainer(SCHEMA, records, {
        codec,
        blockRecords: 10,
        metadata: { "snapshot-id": "9223372036854775807", schema: '{"type":"struct"}' },
      });
      const back = await decodeAvroContainer(bytes);
      expect(back.codec).toBe(codec);
      expect(back.schema).toEqual(SCHEMA);
      expect(back.metadata).toEqual({ "snapshot-id": "9223372036854775807", schema: '{"type":"struct"}' });
      expect(back.records).toEqual(records.map(expectedBack));
    });
  }

  it("writes identical bytes for identical input, and an empty file without blocks", async ({ expect }) => {
    const records = [record(1), record(2)];
    expect(await encodeAvroContainer(SCHEMA, records)).toEqual(await encodeAvroContainer(SCHEMA, records));
    const empty = await decodeAvroContainer(await encodeAvroContainer(SCHEMA, []));
    expect(empty.records).toEqual([]);
  });

  it("rejects a record that does not match the schema, naming the field", async ({ expect }) => {
    await expect(encodeAvroContainer(SCHEMA, [{ ...record(1), name: 5 }])).rejects.toThrow(
      "Avro value at record 0.name must be a string, got 5",
    );
  });

  it("rejects bad magic, a bad sync marker and a truncated block", async ({ expect }) => {
    const bytes = await encodeAvroContainer(SCHEMA, [record(1)], { codec: "null" });
    await expect(decodeAvroContainer(bytes.slice(1))).rejects.toThrow(/Not an Avro container file/);
    const badSync = bytes.slice();
    badSync[badSync.length - 1] ^= 0xff;
    await expect(decodeAvroContainer(badSync)).rejects.toThrow(/sync marker does not match/);
    await expect(decodeAvroContainer(bytes.slice(0, bytes.length - 20))).rejects.toThrow(/runs past the end/);
  });

  it("is decoded by avsc (an independent implementation) to the same records", async ({ expect }) => {
    const dir = await mkdtemp(join(tmpdir(), "ocf-avsc-"));
    for (const codec of ["deflate", "null"] as AvroCodecName[]) {
      const records = Array.from({ length: 23 }, (_, i) => record(i));
      const path = join(dir, `${codec}.avro`);
      await writeFile(
        path,
        await encodeAvroContainer(SCHEMA, records, { codec, blockRecords: 7, metadata: { k: "v" } }),
      );
      const back = await decodeWithAvsc(path);
      expect(back.meta).toMatchObject({ k: "v", "avro.codec": codec, "avro.schema": JSON.stringify(SCHEMA) });
      expect(back.records.map((r) => plain(r))).toEqual(records.map(expectedBack));
    }
  });

  it.skipIf(!hasAvrocat)(
    "is decoded by Apache Avro C's avrocat (avro-bin) to the same records",
    async ({ expect }) => {
      const dir = await mkdtemp(join(tmpdir(), "ocf-"));
      for (const codec of ["deflate", "null"] as AvroCodecName[]) {
        const records = Array.from({ length: 23 }, (_, i) => record(i));
        const path = join(dir, `${codec}.avro`);
        await writeFile(path, await encodeAvroContainer(SCHEMA, records, { codec, blockRecords: 7 }));
        const run = spawnSync("avrocat", [path], { encoding: "utf8" });
        expect(run.status, run.stderr).toBe(0);
        const lines = run.stdout.trim().split("\n");
        expect(lines).toHaveLength(records.length);
        lines.forEach((line, i) => {
          // avrocat prints longs as bare digits: compare them as text to keep all 64 bits.
          expect(line).toContain(`"id": ${records[i].id}`);
          const parsed = JSON.parse(line.replace(/"id": -?\d+/, '"id": 0'));
          expect(parsed.name).toBe(records[i].name);
          expect(parsed.day).toEqual(records[i].day === null ? null : { int: records[i].day });
        });
      }
    },
  );
  if (!hasAvrocat) {
    it("notes that the avrocat cross-check was skipped (apt-get install avro-bin to run it)", () => {
      console.warn("avrocat not found: skipped the Apache Avro C cross-decode (apt-get install -y avro-bin)");
    });
  }
});
