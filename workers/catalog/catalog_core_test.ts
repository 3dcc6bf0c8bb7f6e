import { describe, expect, it } from "vitest";
import { TABLES } from "../../r2/tables/schemas.ts";
import { catalogConfig, icebergError, isKnownNamespace, listNamespaces, listTables } from "./catalog_core.ts";

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
