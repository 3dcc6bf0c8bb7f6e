import { describe, it } from "vitest";
import { decodeAvroContainer } from "../avro/ocf_reader.ts";
import { SILVER } from "../tables/schemas.ts";
import { sampleRows } from "../testing/sample_rows.ts";
import { describeDataFile } from "./data_file.ts";
import { decodeManifest, encodeManifest, type ManifestEntry } from "./manifest.ts";
import { decodeManifestList, encodeManifestList, summarizeManifest } from "./manifest_list.ts";

const LOCATION = "s3://lake/wh/wiki/silver_wiki_events";
const place = { location: LOCATION, prefix: "wh/wiki/silver_wiki_events" };
const file = (name: string, day: number, rows = 4) =>
  describeDataFile(SILVER, sampleRows(SILVER, rows, day * 86_400_000, name), {
    path: `${LOCATION}/data/${name}.parquet`,
    key: `${place.prefix}/data/${name}.parquet`,
    sizeBytes: 1000 + rows,
  });
const entries: ManifestEntry[] = [
  {
    status: 1,
    snapshot_id: 2n ** 62n + 1n,
    sequence_number: null,
    file_sequence_number: null,
    file: file("a", 20089),
  },
  { status: 0, snapshot_id: 5n, sequence_number: 2, file_sequence_number: 3, file: file("b", -1, 7) },
  {
    status: 2,
    snapshot_id: 2n ** 62n + 1n,
    sequence_number: 1,
    file_sequence_number: 1,
    file: file("c", 20091, 2),
  },
];
type Field = { name: string; "field-id"?: number; type: unknown };

describe("manifests", () => {
  it("round-trip entries, statuses, sequence numbers and every column metric", async ({ expect }) => {
    const back = await decodeManifest(await encodeManifest(SILVER, entries), place);
    expect(back).toEqual(entries);
  });

  it("carry v2's required header metadata", async ({ expect }) => {
    const { metadata, codec } = await decodeAvroContainer(await encodeManifest(SILVER, entries));
    expect(codec).toBe("null");
    expect(JSON.parse(metadata["partition-spec"])).toEqual([
      { "source-id": 2, "field-id": 1000, name: "event_time_day", transform: "day" },
    ]);
    expect(metadata).toMatchObject({
      "partition-spec-id": "0",
      "format-version": "2",
      content: "data",
      "schema-id": "0",
    });
    expect(JSON.parse(metadata.schema)).toMatchObject({ type: "struct", "schema-id": 0 });
  });

  it("embed a schema with the spec's field ids, r2/r102 records and int-keyed maps as arrays", async ({ expect }) => {
    const { schema } = await decodeAvroContainer(await encodeManifest(SILVER, entries));
    const top = schema as { name: string; fields: Field[] };
    expect(top.name).toBe("manifest_entry");
    expect(top.fields.map((f) => [f.name, f["field-id"]])).toEqual([
      ["status", 0],
      ["snapshot_id", 1],
      ["sequence_number", 3],
      ["file_sequence_number", 4],
      ["data_file", 2],
    ]);
    const dataFile = top.fields[4].type as { name: string; fields: Field[] };
    expect(dataFile.name).toBe("r2");
    const byName = Object.fromEntries(dataFile.fields.map((f) => [f.name, f]));
    expect(byName.partition.type).toEqual({
      type: "record",
      name: "r102",
      fields: [{
        name: "event_time_day",
        type: ["null", { type: "int", logicalType: "date" }],
        default: null,
        "field-id": 1000,
      }],
    });
    expect(byName.lower_bounds).toEqual({
      name: "lower_bounds",
      type: ["null", {
        type: "array",
        logicalType: "map",
        items: {
          type: "record",
          name: "k126_v127",
          fields: [{ name: "key", type: "int", "field-id": 126 }, {
            name: "value",
            type: "bytes",
            "field-id": 127,
          }],
        },
      }],
      default: null,
      "field-id": 125,
    });
    expect(byName.split_offsets.type).toEqual(["null", { type: "array", items: "long", "element-id": 133 }]);
    expect(dataFile.fields.map((f) => f["field-id"]))
      .toEqual([134, 100, 101, 102, 103, 104, 108, 109, 110, 137, 125, 128, 131, 132, 135, 140]);
  });
});

describe("manifest lists", () => {
  it("summarise a manifest: exact counts by status, min live sequence number, day bounds", ({ expect }) => {
    const summary = summarizeManifest(entries, {
      path: `${LOCATION}/metadata/m.avro`,
      length: 321,
      snapshotId: 9n,
      sequenceNumber: 4,
    });
    expect(summary).toMatchObject({
      manifest_length: 321,
      sequence_number: 4,
      min_sequence_number: 2,
      added_snapshot_id: 9n,
      added_files_count: 1,
      existing_files_count: 1,
      deleted_files_count: 1,
      added_rows_count: 4,
      existing_rows_count: 7,
      deleted_rows_count: 2,
    });
    const [days] = summary.partitions!;
    expect(days.contains_null).toBe(false);
    expect(new DataView(days.lower_bound!.buffer).getInt32(0, true)).toBe(-1);
    expect(new DataView(days.upper_bound!.buffer).getInt32(0, true)).toBe(20091);
  });

  it("round-trip and carry snapshot-id, parent-snapshot-id, sequence-number, format-version", async ({ expect }) => {
    const files = [
      summarizeManifest(entries, {
        path: `${LOCATION}/metadata/m1.avro`,
        length: 10,
        snapshotId: 2n ** 63n - 1n,
        sequenceNumber: 3,
      }),
      summarizeManifest(entries.slice(0, 1), {
        path: `${LOCATION}/metadata/m0.avro`,
        length: 11,
        snapshotId: 7n,
        sequenceNumber: 1,
      }),
    ];
    const bytes = await encodeManifestList(files, {
      snapshotId: 2n ** 63n - 1n,
      parentSnapshotId: null,
      sequenceNumber: 3,
    });
    expect(await decodeManifestList(bytes)).toEqual(files);
    const { metadata, schema } = await decodeAvroContainer(bytes);
    expect(metadata).toEqual({
      "snapshot-id": "9223372036854775807",
      "parent-snapshot-id": "null",
      "sequence-number": "3",
      "format-version": "2",
    });
    const fields = (schema as { name: string; fields: Field[] }).fields;
    expect((schema as { name: string }).name).toBe("manifest_file");
    expect(fields.map((f) => f["field-id"])).toEqual([
      500,
      501,
      502,
      517,
      515,
      516,
      503,
      504,
      505,
      506,
      512,
      513,
      514,
      507,
      519,
    ]);
    const partitions = fields.find((f) => f.name === "partitions")!.type as [
      string,
      { items: { name: string }; "element-id": number },
    ];
    expect(partitions[1]["element-id"]).toBe(508);
    expect(partitions[1].items.name).toBe("r508");
  });
});
