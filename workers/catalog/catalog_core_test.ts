import { describe, expect, it } from "vitest";
import { TABLES } from "../../r2/tables/schemas.ts";
import {
  catalogConfig,
  catalogTable,
  fileIoConfig,
  icebergError,
  isKnownNamespace,
  listNamespaces,
  listTables,
  loadTableResultText,
  metadataText,
  parseSnapshotsMode,
} from "./catalog_core.ts";

describe("catalog core", () => {
  it("config has empty defaults/overrides and served endpoints", () => {
    const c = catalogConfig();
    expect(c.defaults).toEqual({});
    expect(c.overrides).toEqual({});
    expect(c.endpoints).toContain("GET /v1/{prefix}/namespaces");
  });
  it("lists the wiki namespace and its four tables", () => {
    expect(listNamespaces()).toEqual({ namespaces: [["wiki"]] });
    expect(isKnownNamespace("wiki")).toBe(true);
    expect(isKnownNamespace("other")).toBe(false);
    expect(listTables().identifiers.map((i) => i.name).sort()).toEqual(TABLES.map((t) => t.name).sort());
  });
  it("error shape", () => {
    expect(icebergError(404, "NoSuchNamespaceException", "x")).toEqual({
      error: { message: "x", type: "NoSuchNamespaceException", code: 404 },
    });
  });
});

describe("loadTable helpers", () => {
  it("table names only from the fixed list", () => {
    expect(catalogTable("silver_wiki_events")).toBe("silver_wiki_events");
    for (
      const raw of ["", "Silver_wiki_events", "silver_wiki_events/", "../silver_wiki_events", "wiki.silver"]
    ) {
      expect(catalogTable(raw), raw).toBeNull();
    }
  });
  it("snapshots mode", () => {
    expect(parseSnapshotsMode(undefined)).toBe("all");
    expect(parseSnapshotsMode("all")).toBe("all");
    expect(parseSnapshotsMode("refs")).toBe("refs");
    expect(parseSnapshotsMode("REFS")).toBeNull();
  });
  it("refs keeps referenced snapshots and 64-bit ids digit for digit", () => {
    const committed =
      '{"format-version":2,"current-snapshot-id":9007199254740993,"refs":{"main":{"snapshot-id":9007199254740993,"type":"branch"}},' +
      '"snapshots":[{"snapshot-id":9007199254740992},{"snapshot-id":9007199254740993}]}';
    expect(metadataText(` ${committed}\n`, "all")).toBe(committed);
    const refs = metadataText(committed, "refs");
    expect(refs).toContain('"snapshots":[{"snapshot-id":9007199254740993}]');
    expect(refs).toContain('"current-snapshot-id":9007199254740993');
    const body = loadTableResultText("s3://b/m.json", refs, { a: "1" });
    expect(body.startsWith('{"metadata-location":"s3://b/m.json","metadata":{')).toBe(true);
    expect(body.endsWith(',"config":{"a":"1"}}')).toBe(true);
  });
  it("FileIO config: local endpoint, R2's endpoint, or region and path style only", () => {
    const on = fileIoConfig({ s3Endpoint: "on", origin: "http://127.0.0.1:8787", accountId: undefined });
    expect(on["s3.endpoint"]).toBe("http://127.0.0.1:8787");
    const acct = "0123456789abcdef0123456789abcdef";
    expect(fileIoConfig({ s3Endpoint: "off", origin: "https://x", accountId: acct })["s3.endpoint"]).toBe(
      `https://${acct}.r2.cloudflarestorage.com`,
    );
    expect(fileIoConfig({ s3Endpoint: undefined, origin: "https://x", accountId: "evil.example/" })).toEqual({
      "s3.path-style-access": "true",
      "s3.region": "auto",
      "client.region": "auto",
    });
  });
});
