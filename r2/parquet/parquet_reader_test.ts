import { beforeAll, describe, expect, it } from "vitest";
import { initParquetNode } from "./parquet_node.ts";
import { encodeParquet } from "./parquet_writer.ts";
import { decodeParquet } from "./parquet_reader.ts";
import { BRONZE, GOLD, QUARANTINE, SILVER } from "../tables/schemas.ts";
import { sampleRows } from "../testing/sample_rows.ts";

const DAY = Date.UTC(2026, 4, 3);

beforeAll(initParquetNode);

describe("decodeParquet", () => {
  it("reads back exactly the rows the writer wrote, for bronze, silver and gold", async () => {
    for (const spec of [BRONZE, SILVER, QUARANTINE, GOLD]) {
      const rows = sampleRows(spec, 60, DAY);
      // Integer columns have no -0; the writer stores it as 0.
      const integers = spec.columns.filter((c) => c.type === "int" || c.type === "long").map((c) => c.name);
      const expected = rows.map((r) =>
        Object.fromEntries(Object.entries(r).map(([k, v]) => [k, integers.includes(k) && v === 0 ? 0 : v]))
      );
      expect(decodeParquet(spec, await encodeParquet(spec, rows))).toEqual(expected);
    }
  });

  it("names the missing column when a file belongs to another table", async () => {
    const gold = await encodeParquet(GOLD, sampleRows(GOLD, 3, DAY));
    expect(() => decodeParquet(SILVER, gold)).toThrow(/lacks column "event_id"/);
  });
});
