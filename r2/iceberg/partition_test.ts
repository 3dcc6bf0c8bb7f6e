import { describe, it } from "vitest";
import { BRONZE, GOLD } from "../tables/schemas.ts";
import type { AnyRow } from "../tables/rows.ts";
import { sampleRows } from "../testing/sample_rows.ts";
import { describeDataFile } from "./data_file.ts";
import { dayOf, groupByPartition } from "./partition.ts";
import {
  dataFileKey,
  formatDay,
  keyFromUri,
  metadataKey,
  tableLocation,
  tablePrefix,
  uriFromKey,
  versionHintKey,
} from "./paths.ts";

describe("dayOf", () => {
  it("counts whole days since 1970-01-01 after the epoch", ({ expect }) => {
    expect(dayOf(0)).toBe(0);
    expect(dayOf(86_399_999)).toBe(0);
    expect(dayOf(86_400_000)).toBe(1);
    expect(dayOf(Date.UTC(2025, 0, 1, 4))).toBe(20089);
  });

  it("floors before 1970 (1969-12-31T23:59:59.999Z is day -1)", ({ expect }) => {
    expect(dayOf(-1)).toBe(-1);
    expect(dayOf(-86_400_000)).toBe(-1);
    expect(dayOf(-86_400_001)).toBe(-2);
    expect(dayOf(Date.UTC(1900, 0, 1))).toBe(-25567);
  });

  it("rejects fractional or non-finite milliseconds", ({ expect }) => {
    expect(() => dayOf(1.5)).toThrow("Timestamp must be integer epoch milliseconds, got 1.5");
    expect(() => dayOf(Number.NaN)).toThrow(RangeError);
  });
});

describe("groupByPartition and describeDataFile", () => {
  it("groups rows by day of the partition source, days ascending, order kept", ({ expect }) => {
    const rows = [
      ...sampleRows(GOLD, 3, Date.UTC(2025, 0, 2), "x"),
      ...sampleRows(GOLD, 2, Date.UTC(1969, 11, 31), "y"),
      ...sampleRows(GOLD, 2, Date.UTC(2025, 0, 2), "z"),
    ];
    const groups = groupByPartition(GOLD, rows);
    expect([...groups.keys()]).toEqual([-1, 20090]);
    expect(groups.get(20090)).toEqual([...rows.slice(0, 3), ...rows.slice(5)]);
  });

  it("describes a one-partition file and refuses one that spans days", ({ expect }) => {
    const rows = sampleRows(BRONZE, 4, Date.UTC(2025, 0, 1));
    const file = describeDataFile(BRONZE, rows, {
      path: "s3://b/k.parquet",
      key: "k.parquet",
      sizeBytes: 99,
    });
    expect(file).toMatchObject({
      path: "s3://b/k.parquet",
      key: "k.parquet",
      record_count: 4,
      file_size_in_bytes: 99,
      partition_day: 20089,
    });
    expect(structuredClone(file)).toEqual(file);
    const mixed: AnyRow[] = [...rows, ...sampleRows(BRONZE, 1, Date.UTC(2025, 0, 3))];
    expect(() => describeDataFile(BRONZE, mixed, { path: "s3://b/m", key: "m", sizeBytes: 9 }))
      .toThrow("Data file s3://b/m spans 2 partition days (20089, 20091); split it");
    expect(() => describeDataFile(BRONZE, [], { path: "s3://b/e", key: "e", sizeBytes: 9 })).toThrow(
      /has no rows/,
    );
  });
});

describe("paths", () => {
  it("builds the s3 location, the key prefix and the metadata keys", ({ expect }) => {
    expect(tableLocation("lake", "warehouse", "silver_wiki_events")).toBe(
      "s3://lake/warehouse/wiki/silver_wiki_events",
    );
    expect(tablePrefix("warehouse", "silver_wiki_events")).toBe("warehouse/wiki/silver_wiki_events");
    expect(metadataKey("p", 10)).toBe("p/metadata/v10.metadata.json");
    expect(versionHintKey("p")).toBe("p/metadata/version-hint.text");
  });

  it("names data files by partition day, including days before 1970", ({ expect }) => {
    expect(dataFileKey("p", "event_time_day", 20089, "a.parquet")).toBe(
      "p/data/event_time_day=2025-01-01/a.parquet",
    );
    expect(formatDay(-1)).toBe("1969-12-31");
  });

  it("maps URIs and keys both ways and rejects foreign ones", ({ expect }) => {
    const location = "s3://lake/wh/wiki/t";
    expect(uriFromKey(location, "wh/wiki/t", "wh/wiki/t/data/x")).toBe("s3://lake/wh/wiki/t/data/x");
    expect(keyFromUri(location, "wh/wiki/t", "s3://lake/wh/wiki/t/metadata/v1.metadata.json")).toBe(
      "wh/wiki/t/metadata/v1.metadata.json",
    );
    expect(() => keyFromUri(location, "wh/wiki/t", "s3://lake/wh/wiki/t2/x")).toThrow(
      'URI "s3://lake/wh/wiki/t2/x" is not under the table location "s3://lake/wh/wiki/t"',
    );
  });

  it("rejects malformed names", ({ expect }) => {
    expect(() => tableLocation("a/b", "wh", "t")).toThrow(RangeError);
    expect(() => tablePrefix("wh/", "t")).toThrow(
      'Warehouse must be a relative path without empty segments, got "wh/"',
    );
    expect(() => metadataKey("p", 0)).toThrow("Metadata version must be an integer ≥ 1, got 0");
  });
});
