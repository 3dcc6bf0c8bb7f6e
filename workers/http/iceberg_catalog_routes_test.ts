/** The read-only Iceberg REST catalog under /iceberg, every answer validated against the REST spec. */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { app } from "./app.ts";
import { TABLES } from "../../r2/tables/schemas.ts";
import { responseErrors, schemaErrors } from "../../test/workerd/iceberg_spec.ts";

const get = (path: string, init?: RequestInit) => app.request(path, init, env);
const asAny = (b: unknown): any => b;

/** Fetches `path` and checks status and body against the spec's response for `method template`. */
async function specAnswer(
  method: string,
  template: string,
  path: string,
  status: number,
  init?: RequestInit,
) {
  const res = await get(path, { ...init, method });
  expect(res.status).toBe(status);
  const body = await res.json();
  expect(responseErrors(method, template, status, body)).toEqual([]);
  return asAny(body);
}

describe("iceberg REST catalog", () => {
  it("the spec validator rejects what the spec rejects", () => {
    expect(schemaErrors("CatalogConfig", { defaults: {}, overrides: {} })).toEqual([]);
    expect(schemaErrors("CatalogConfig", { defaults: null, overrides: {} })).not.toEqual([]);
    expect(schemaErrors("CatalogConfig", { overrides: {} })).not.toEqual([]);
    expect(responseErrors("GET", "/v1/namespaces", 200, { namespaces: ["wiki"] })).not.toEqual([]);
    expect(responseErrors("GET", "/v1/namespaces", 404, { error: { message: "m", type: "T" } })).not
      .toEqual([]);
  });
  it("GET /iceberg/v1/config", async () => {
    const body = await specAnswer("GET", "/v1/config", "/iceberg/v1/config", 200);
    expect(body.defaults).toEqual({});
    expect(body.overrides).toEqual({});
    expect(body.endpoints).toContain("GET /v1/{prefix}/namespaces");
  });
  it("lists the namespace and its tables", async () => {
    expect(await specAnswer("GET", "/v1/namespaces", "/iceberg/v1/namespaces", 200)).toEqual({
      namespaces: [["wiki"]],
    });
    expect(await specAnswer("GET", "/v1/namespaces/{namespace}", "/iceberg/v1/namespaces/wiki", 200))
      .toEqual({ namespace: ["wiki"], properties: {} });
    expect((await get("/iceberg/v1/namespaces/wiki", { method: "HEAD" })).status).toBe(204);
    const tables = await specAnswer(
      "GET",
      "/v1/namespaces/{namespace}/tables",
      "/iceberg/v1/namespaces/wiki/tables",
      200,
    );
    expect(tables.identifiers.map((i: any) => i.name)).toEqual(TABLES.map((t) => t.name));
  });
  it("404 ErrorModel for an unknown namespace", async () => {
    const t = "/v1/namespaces/{namespace}/tables";
    const body = await specAnswer("GET", t, "/iceberg/v1/namespaces/nope/tables", 404);
    expect(body.error).toMatchObject({ type: "NoSuchNamespaceException", code: 404 });
    const ns = await specAnswer("GET", "/v1/namespaces/{namespace}", "/iceberg/v1/namespaces/nope", 404);
    expect(ns.error.type).toBe("NoSuchNamespaceException");
    expect((await get("/iceberg/v1/namespaces/nope", { method: "HEAD" })).status).toBe(404);
  });
  it("refuses writes with the ErrorModel", async () => {
    const res = await get("/iceberg/v1/namespaces", { method: "POST", body: "{}" });
    expect(res.status).toBe(405);
    const body = asAny(await res.json());
    expect(schemaErrors("IcebergErrorResponse", body)).toEqual([]);
    expect(body.error.message).toContain("read-only");
  });
});
