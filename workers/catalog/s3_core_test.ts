import { describe, expect, it } from "vitest";
import { lakeObjectKey, parseRange, s3ErrorXml } from "./s3_core.ts";

describe("parseRange (object of 100 bytes)", () => {
  it("the three single-range forms", () => {
    expect(parseRange("bytes=0-9", 100)).toEqual({ kind: "partial", offset: 0, length: 10 });
    expect(parseRange("bytes=90-", 100)).toEqual({ kind: "partial", offset: 90, length: 10 });
    expect(parseRange("bytes=-8", 100)).toEqual({ kind: "partial", offset: 92, length: 8 });
    expect(parseRange("bytes=95-200", 100)).toEqual({ kind: "partial", offset: 95, length: 5 });
    expect(parseRange("bytes=-500", 100)).toEqual({ kind: "partial", offset: 0, length: 100 });
    expect(parseRange("bytes=99-99", 100)).toEqual({ kind: "partial", offset: 99, length: 1 });
  });
  it("unsatisfiable: a start at or past the end, an empty suffix, any range of an empty object", () => {
    for (const h of ["bytes=100-", "bytes=100-120", "bytes=-0"]) {
      expect(parseRange(h, 100), h).toEqual({ kind: "unsatisfiable" });
    }
    expect(parseRange("bytes=0-0", 0)).toEqual({ kind: "unsatisfiable" });
    expect(parseRange("bytes=-1", 0)).toEqual({ kind: "unsatisfiable" });
  });
  it("absent, malformed and multi-range headers are ignored", () => {
    for (
      const h of [undefined, "", "bytes=", "bytes=-", "items=0-1", "bytes=5-2", "bytes=0-1,5-6", "bytes=a-b"]
    ) {
      expect(parseRange(h, 100), String(h)).toEqual({ kind: "full" });
    }
  });
});

describe("lakeObjectKey (warehouse 'warehouse')", () => {
  const ok = "warehouse/wiki/silver_wiki_events/metadata/v3.metadata.json";
  it("table files under the warehouse", () => {
    expect(lakeObjectKey(ok, "warehouse")).toBe(ok);
    const data = "warehouse/wiki/gold_wiki_kpis/data/window_start_day=2026-01-01/00000-a.parquet";
    expect(lakeObjectKey(data, "warehouse")).toBe(data);
    expect(lakeObjectKey(data.replace("=", "%3D"), "warehouse")).toBe(data);
    expect(lakeObjectKey("a/b/wiki/silver_wiki_events/data/x.parquet", "a/b")).toBe(
      "a/b/wiki/silver_wiki_events/data/x.parquet",
    );
  });
  it("refuses everything else", () => {
    const bad = [
      "",
      "warehouse",
      "warehouse/",
      "warehouse/wiki/silver_wiki_events/metadata",
      "warehouse/wiki/silver_wiki_events/metadata/",
      "other/wiki/silver_wiki_events/metadata/v1.metadata.json",
      "warehouse/wiki/nope/metadata/v1.metadata.json",
      "warehouse/other/silver_wiki_events/metadata/v1.metadata.json",
      "warehouse/wiki/silver_wiki_events/secrets/x",
      "warehouse/wiki/silver_wiki_events/metadata/../../../../etc/passwd",
      "warehouse/wiki/silver_wiki_events/metadata/%2e%2e/%2e%2e/x",
      "warehouse/wiki/silver_wiki_events/metadata/..%2F..%2Fx",
      "warehouse/wiki/silver_wiki_events/metadata/.hidden",
      "warehouse/wiki/silver_wiki_events/metadata//v1.metadata.json",
      "warehouse/wiki/silver_wiki_events/metadata/a%00b",
      "warehouse/wiki/silver_wiki_events/metadata/a%5Cb",
      "warehouse/wiki/silver_wiki_events/metadata/%252e%252e",
      "warehouse/wiki/silver_wiki_events/metadata/%E0%A4%A",
      `warehouse/wiki/silver_wiki_events/data/${"a".repeat(1100)}`,
      "./warehouse/wiki/silver_wiki_events/metadata/v1.metadata.json",
    ];
    for (const k of bad) expect(lakeObjectKey(k, "warehouse"), k).toBeNull();
  });
});

describe("s3ErrorXml", () => {
  it("escapes what it embeds", () => {
    expect(s3ErrorXml("NoSuchKey", "no", "/b/<k>&", "r1")).toBe(
      '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>NoSuchKey</Code><Message>no</Message>' +
        "<Resource>/b/&lt;k&gt;&amp;</Resource><RequestId>r1</RequestId></Error>",
    );
  });
});
