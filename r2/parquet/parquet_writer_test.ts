import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, it } from "vitest";
import { BRONZE, GOLD, SILVER, TABLES, type TableSpec } from "../tables/schemas.ts";
import type { AnyRow, BronzeRow } from "../tables/rows.ts";
import { type DuckDb, openDuckDb, sqlString } from "../testing/duckdb_support.ts";
import { sampleRows } from "../testing/sample_rows.ts";
import { initParquetNode } from "./parquet_node.ts";
import { ENCODE_LIMITS, encodeParquet, initParquet, isParquetReady } from "./parquet_writer.ts";
import { estimateRowBytes } from "./row_chunks.ts";

let db: DuckDb;
let dir: string;
let files = 0;

beforeAll(async () => {
  await initParquetNode();
  db = await openDuckDb();
  dir = await mkdtemp(join(tmpdir(), "parquet-writer-"));
});
afterAll(() => db.close());

async function writeTemp(spec: TableSpec, rows: readonly AnyRow[]): Promise<string> {
  const path = join(dir, `f${files++}.parquet`);
  await writeFile(path, await encodeParquet(spec, rows));
  return sqlString(path);
}

/** The value DuckDB should read back for one cell (timestamps compared as epoch micros). */
function expected(spec: TableSpec, row: AnyRow, name: string): unknown {
  const value = (row as unknown as Record<string, unknown>)[name];
  const type = spec.columns.find((c) => c.name === name)!.type;
  if (value === null) return null;
  if (type === "long") return BigInt(value as number);
  if (type === "timestamptz") return BigInt(value as number) * 1000n;
  return value;
}

describe("encodeParquet", () => {
  it("initParquet() is idempotent", ({ expect }) => {
    expect(isParquetReady()).toBe(true);
    expect(() => initParquet(new Uint8Array([0, 97, 115, 109]))).not.toThrow();
  });

  for (const spec of TABLES) {
    it(`writes ${spec.name} with a field id, exact type and nullability on every column`, async ({ expect }) => {
      const file = await writeTemp(spec, sampleRows(spec, 5, Date.UTC(2025, 0, 1)));
      const schema = await db.jsonRows(`SELECT * FROM parquet_schema(${file}) WHERE type IS NOT NULL`);
      expect(schema.map((c) => [c.name, Number(c.field_id), c.repetition_type])).toEqual(
        spec.columns.map((c) => [c.name, c.id, c.required ? "REQUIRED" : "OPTIONAL"]),
      );
      const physical = {
        string: "BYTE_ARRAY",
        int: "INT32",
        long: "INT64",
        double: "DOUBLE",
        boolean: "BOOLEAN",
      };
      for (const column of spec.columns) {
        const col = schema.find((c) => c.name === column.name)!;
        if (column.type === "timestamptz") {
          expect(col.type).toBe("INT64");
          expect(col.logical_type).toMatch(
            /^TimestampType\(isAdjustedToUTC=1, unit=.*MICROS=MicroSeconds\(\)/,
          );
        } else {
          expect(col.type).toBe(physical[column.type]);
          if (column.type === "string") expect(col.logical_type).toBe("StringType()");
        }
      }
      const codecs = await db.jsonRows(`SELECT DISTINCT compression FROM parquet_metadata(${file})`);
      expect(codecs).toEqual([{ compression: "ZSTD" }]);
    });

    it(`round-trips every ${spec.name} value exactly, including nulls and pre-1970 timestamps`, async ({ expect }) => {
      const rows = [
        ...sampleRows(spec, 40, Date.UTC(2025, 0, 1), "new"),
        ...sampleRows(spec, 40, Date.UTC(1969, 11, 31), "old"),
      ];
      const file = await writeTemp(spec, rows);
      const select = spec.columns.map((
        c,
      ) => (c.type === "timestamptz" ? `epoch_us("${c.name}") AS "${c.name}"` : `"${c.name}"`));
      const back = await db.rows(`SELECT ${select.join(", ")} FROM read_parquet(${file})`);
      expect(back).toHaveLength(rows.length);
      rows.forEach((row, i) => {
        for (const column of spec.columns) {
          const got = back[i][column.name];
          const want = expected(spec, row, column.name);
          if (typeof want === "number") {
            expect(Object.is(got, want), `${column.name}[${i}]: ${got} vs ${want}`).toBe(true);
          } else expect(got, `${column.name}[${i}]`).toEqual(want);
        }
      });
    });
  }

  it("keeps a 200 000-character string and the largest safe long exactly", async ({ expect }) => {
    const row: BronzeRow = {
      event_key: "long",
      raw_json: "Ä😀".repeat(100_000),
      topic: null,
      partition: null,
      offset: Number.MAX_SAFE_INTEGER,
      kafka_timestamp: -62_135_596_800_000, // 0001-01-01T00:00:00Z
      ingestion_time: 253_402_300_799_999, // 9999-12-31T23:59:59.999Z
    };
    const file = await writeTemp(BRONZE, [row]);
    const [back] = await db.rows(
      `SELECT raw_json, "offset", epoch_us(kafka_timestamp) AS k, epoch_us(ingestion_time) AS t FROM read_parquet(${file})`,
    );
    expect(back).toEqual({
      raw_json: row.raw_json,
      offset: 9007199254740991n,
      k: -62135596800000000n,
      t: 253402300799999000n,
    });
  });

  it("keeps ASCII strings followed by multi-byte ones and negative longs exactly", async ({ expect }) => {
    const texts = [
      "plain",
      "",
      "still ascii",
      "Ünïcødé ✓",
      "😀".repeat(50),
      "a\u0000b",
      "Ω",
      "ascii, then ✓",
    ];
    const rows = texts.map((raw_json, i): BronzeRow => ({
      event_key: `k${i}`,
      raw_json,
      topic: i % 2 ? null : "t",
      partition: null,
      offset: -(2 ** 40) - i,
      kafka_timestamp: -1 - i,
      ingestion_time: 1_700_000_000_000 + i,
    }));
    const file = await writeTemp(BRONZE, rows);
    const back = await db.rows(
      `SELECT raw_json, topic, "offset", epoch_us(kafka_timestamp) AS k FROM read_parquet(${file}) ORDER BY event_key`,
    );
    expect(back).toEqual(rows.map((r) => ({
      raw_json: r.raw_json,
      topic: r.topic,
      offset: BigInt(r.offset!),
      k: BigInt(r.kafka_timestamp!) * 1000n,
    })));
  });

  it("writes an empty file with the full schema", async ({ expect }) => {
    const file = await writeTemp(GOLD, []);
    expect(await db.jsonRows(`SELECT count(*)::INT AS n FROM read_parquet(${file})`)).toEqual([{ n: 0 }]);
    expect(
      await db.jsonRows(`SELECT count(*)::INT AS n FROM parquet_schema(${file}) WHERE field_id IS NOT NULL`),
    )
      .toEqual([{ n: GOLD.columns.length }]);
  });

  it("writes rows beyond the row-group bound as several row groups of one file, read back in order", async ({ expect }) => {
    // ≈ 4 × the row-group bound of raw JSON, the shape of a consumer batch's bronze file.
    const rows = Array.from({ length: 3_000 }, (_, i): BronzeRow => ({
      event_key: `k${String(i).padStart(5, "0")}`,
      raw_json: JSON.stringify({ i, text: `${i} `.repeat(700).slice(0, 1_400 + (i % 7)) }),
      topic: "eqiad.mediawiki.recentchange",
      partition: 0,
      offset: i,
      kafka_timestamp: 1_700_000_000_000 + i,
      ingestion_time: 1_700_000_000_000 + i,
    }));
    const rawBytes = rows.reduce((n, r) => n + estimateRowBytes(BRONZE, r), 0);
    expect(rawBytes).toBeGreaterThan(3 * ENCODE_LIMITS.rowGroupBytes);
    const file = await writeTemp(BRONZE, rows);
    const groups = await db.jsonRows(
      `SELECT row_group_id, any_value(row_group_num_rows)::INT AS n FROM parquet_metadata(${file}) GROUP BY 1 ORDER BY 1`,
    );
    expect(groups.length).toBeGreaterThan(2);
    expect(groups.reduce((n, g) => n + Number(g.n), 0)).toBe(rows.length);
    const back = await db.jsonRows(
      `SELECT event_key, raw_json, "offset"::INT AS o FROM read_parquet(${file})`,
    );
    expect(back).toEqual(rows.map((r) => ({ event_key: r.event_key, raw_json: r.raw_json, o: r.offset })));
  });

  it("rejects a null in a required column, naming the column and row", async ({ expect }) => {
    const rows = sampleRows(SILVER, 3, 0) as unknown as Record<string, unknown>[];
    rows[2].page_title = null;
    await expect(encodeParquet(SILVER, rows as unknown as AnyRow[])).rejects.toThrow(
      "Row 2: required column page_title is null",
    );
  });

  it("numbers a bad row by its place in the file, not in the piece it was encoded in", async ({ expect }) => {
    const rows = sampleRows(BRONZE, ENCODE_LIMITS.chunkRows + 10, 0).map((r) => ({ ...r, raw_json: "{}" }));
    const last = rows.length - 1;
    (rows[last] as unknown as Record<string, unknown>).event_key = null;
    await expect(encodeParquet(BRONZE, rows)).rejects.toThrow(
      `Row ${last}: required column event_key is null`,
    );
  });

  it("rejects values of the wrong type or range, stating the value", async ({ expect }) => {
    const bad = (patch: Record<string, unknown>) =>
      expect(encodeParquet(BRONZE, [{ ...sampleRows(BRONZE, 1, 0)[0], ...patch } as AnyRow])).rejects;
    await bad({ partition: 2 ** 31 }).toThrow(
      "column partition (int) needs a 32-bit integer, got 2147483648",
    );
    await bad({ offset: 2 ** 53 }).toThrow(
      "column offset (long) needs a safe integer or a 64-bit BigInt, got 9007199254740992",
    );
    await bad({ ingestion_time: 1.5 }).toThrow("needs integer epoch milliseconds, got 1.5");
    await bad({ topic: 7 }).toThrow("column topic (string) needs a string, got 7");
    await bad({ event_key: undefined }).toThrow("required column event_key is undefined");
  });
});
