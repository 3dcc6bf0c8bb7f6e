import { describe, it } from "vitest";
import { GOLD, SILVER } from "../tables/schemas.ts";
import {
  createTableMetadata,
  currentSnapshot,
  newTableMetadata,
  parseTableMetadata,
  serializeTableMetadata,
} from "./table_metadata.ts";

const UUID = "8d2c6f0e-4a51-4c1b-9a8e-3f5b2d7c9e10";
const options = {
  location: "s3://lake/wh/wiki/silver_wiki_events",
  tableUuid: UUID,
  nowMs: 1_700_000_000_000,
};

describe("createTableMetadata", () => {
  it("writes a v2 table with no snapshots, sequence number 0 and no current snapshot", ({ expect }) => {
    const json = JSON.parse(createTableMetadata(SILVER, options));
    expect(json).toMatchObject({
      "format-version": 2,
      "table-uuid": UUID,
      location: "s3://lake/wh/wiki/silver_wiki_events",
      "last-sequence-number": 0,
      "last-updated-ms": 1_700_000_000_000,
      "last-column-id": 17,
      "current-schema-id": 0,
      "default-spec-id": 0,
      "last-partition-id": 1000,
      "default-sort-order-id": 0,
      "sort-orders": [{ "order-id": 0, fields: [] }],
      snapshots: [],
    });
    expect(json["current-snapshot-id"] ?? null).toBeNull();
    expect(json.properties).toEqual({
      "write.format.default": "parquet",
      "write.parquet.compression-codec": "zstd",
    });
  });

  it("declares the schema and the day partition spec from the table spec", ({ expect }) => {
    const json = JSON.parse(
      createTableMetadata(GOLD, { ...options, location: "s3://lake/wh/wiki/gold_wiki_kpis" }),
    );
    expect(json.schemas).toHaveLength(1);
    expect(json.schemas[0]).toMatchObject({ type: "struct", "schema-id": 0 });
    expect(json.schemas[0].fields[0]).toEqual({
      id: 1,
      name: "window_start",
      required: true,
      type: "timestamptz",
    });
    expect(json.schemas[0].fields.map((f: { id: number }) => f.id)).toEqual(GOLD.columns.map((c) => c.id));
    expect(json["partition-specs"]).toEqual([{
      "spec-id": 0,
      fields: [{ "source-id": 1, "field-id": 1000, name: "window_start_day", transform: "day" }],
    }]);
  });

  it("adds caller properties to the defaults", ({ expect }) => {
    const json = JSON.parse(createTableMetadata(SILVER, { ...options, properties: { owner: "wikiflare" } }));
    expect(json.properties.owner).toBe("wikiflare");
    expect(json.properties["write.format.default"]).toBe("parquet");
  });

  it("rejects a bad uuid, a location with a trailing slash and a fractional clock", ({ expect }) => {
    expect(() => createTableMetadata(SILVER, { ...options, tableUuid: "nope" })).toThrow(
      'Table UUID must be a UUID, got "nope"',
    );
    expect(() => createTableMetadata(SILVER, { ...options, location: "s3://lake/t/" })).toThrow(/trailing/);
    expect(() => createTableMetadata(SILVER, { ...options, nowMs: 1.5 })).toThrow(
      "nowMs must be integer epoch ms, got 1.5",
    );
  });
});

describe("parseTableMetadata", () => {
  it("keeps 63-bit snapshot ids exact through a round trip", ({ expect }) => {
    const metadata = newTableMetadata(SILVER, options);
    const id = 9_007_199_254_740_993n;
    metadata.snapshots.push({
      "snapshot-id": id,
      "sequence-number": 1,
      "timestamp-ms": 1,
      "manifest-list": "s3://lake/x.avro",
      summary: { operation: "append" },
      "schema-id": 0,
    });
    metadata["current-snapshot-id"] = id;
    metadata.refs.main = { "snapshot-id": id, type: "branch" };
    const text = serializeTableMetadata(metadata);
    expect(text).toContain('"current-snapshot-id":9007199254740993');
    const back = parseTableMetadata(text);
    expect(back).toEqual(metadata);
    expect(currentSnapshot(back)!["snapshot-id"]).toBe(id);
    expect(Object.keys(back)).toEqual(Object.keys(metadata));
  });

  it("reads small ids as BigInt too and a Java-style -1 as no snapshot", ({ expect }) => {
    const text = createTableMetadata(SILVER, options).replace("{", '{"current-snapshot-id":-1,');
    const back = parseTableMetadata(text);
    expect(back["current-snapshot-id"]).toBe(-1n);
    expect(currentSnapshot(back)).toBeUndefined();
  });

  it("refuses v1 metadata and metadata missing required fields, naming them", ({ expect }) => {
    const json = JSON.parse(createTableMetadata(SILVER, options));
    expect(() => parseTableMetadata(JSON.stringify({ ...json, "format-version": 1 })))
      .toThrow("Table metadata format-version must be 2, got 1");
    delete json.schemas;
    delete json["last-column-id"];
    expect(() => parseTableMetadata(JSON.stringify(json))).toThrow(
      "lacks required field(s): last-column-id, schemas",
    );
  });
});
