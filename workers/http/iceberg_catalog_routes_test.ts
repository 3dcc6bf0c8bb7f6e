/** The read-only Iceberg REST catalog under /iceberg, every answer validated against the REST spec. */
import { env } from "cloudflare:workers";
import wasm from "parquet-wasm/esm/parquet_wasm_bg.wasm";
import { beforeAll, describe, expect, it } from "vitest";
import { app } from "./app.ts";
import { SILVER, TABLES } from "../../r2/tables/schemas.ts";
import {
  responseErrors,
  schemaErrors,
  specOperations,
  specStatuses,
} from "../../test/workerd/iceberg_spec.ts";
import { initParquet } from "../../r2/parquet/parquet_writer.ts";
import { R2BlobStore } from "../../r2/r2_blob_store_binding.ts";
import { IcebergTable } from "../../r2/iceberg/table_writer.ts";
import { parseJsonBig } from "../../r2/iceberg/json_big.ts";
import { writeDataFiles } from "../../r2/testing/lake_fixture.ts";
import { sampleRows } from "../../r2/testing/sample_rows.ts";

// A warehouse of this file's own in the shared local bucket: silver there has two commits.
const WAREHOUSE = `catalog-test-${Date.now()}`;
/** The test bindings with other vars (wrangler types makes every var a literal type). */
const withVars = (vars: Record<string, string>): Env => ({ ...env, WAREHOUSE, ...vars }) as unknown as Env;
const testEnv = withVars({});
const get = (path: string, init?: RequestInit, e: Env = testEnv) => app.request(path, init, e);
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

beforeAll(async () => {
  initParquet(wasm);
  const store = new R2BlobStore(env.LAKE);
  const table = new IcebergTable(store, { spec: SILVER, bucket: env.LAKE_BUCKET_NAME, warehouse: WAREHOUSE });
  await table.create(Date.now(), crypto.randomUUID());
  for (const tag of ["a", "b"]) {
    const files = await writeDataFiles(
      store,
      table,
      SILVER,
      sampleRows(SILVER, 7, Date.UTC(2026, 0, 1), tag),
      tag,
    );
    await table.append(files.map((w) => w.file), { commitId: tag, nowMs: Date.now() });
  }
});

const TABLE_T = "/v1/namespaces/{namespace}/tables/{table}";
const SILVER_PATH = "/iceberg/v1/namespaces/wiki/tables/silver_wiki_events";

describe("iceberg REST catalog: loadTable", () => {
  it("answers the committed metadata file exactly, with its location", async () => {
    const prefix = `${WAREHOUSE}/wiki/silver_wiki_events`;
    const hint = await (await env.LAKE.get(`${prefix}/metadata/version-hint.text`))!.text();
    expect(hint).toBe("3");
    const committed = await (await env.LAKE.get(`${prefix}/metadata/v3.metadata.json`))!.text();
    const res = await get(SILVER_PATH);
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(responseErrors("GET", TABLE_T, 200, JSON.parse(text))).toEqual([]);
    const body = parseJsonBig(text) as any;
    expect(body["metadata-location"]).toBe(
      `s3://${env.LAKE_BUCKET_NAME}/${prefix}/metadata/v3.metadata.json`,
    );
    expect(body.metadata).toEqual(parseJsonBig(committed));
    expect(body.metadata.snapshots).toHaveLength(2);
    const id = /"current-snapshot-id"\s*:\s*(-?\d+)/;
    expect(id.exec(text)?.[1]).toBe(id.exec(committed)?.[1]); // 63-bit ids digit for digit
  });
  it("snapshots=refs keeps the snapshots branches point at; a bad value is a 400", async () => {
    const all = parseJsonBig(await (await get(`${SILVER_PATH}?snapshots=all`)).text()) as any;
    const res = await get(`${SILVER_PATH}?snapshots=refs`);
    const text = await res.text();
    expect(responseErrors("GET", TABLE_T, 200, JSON.parse(text))).toEqual([]);
    const refs = parseJsonBig(text) as any;
    expect(refs.metadata.snapshots.map((s: any) => s["snapshot-id"])).toEqual([
      all.metadata["current-snapshot-id"],
    ]);
    expect({ ...refs.metadata, snapshots: [] }).toEqual({ ...all.metadata, snapshots: [] });
    await specAnswer("GET", TABLE_T, `${SILVER_PATH}?snapshots=some`, 400);
  });
  it("HEAD is 204 for a committed table, 404 otherwise", async () => {
    expect((await get(SILVER_PATH, { method: "HEAD" })).status).toBe(204);
    const bronze = "/iceberg/v1/namespaces/wiki/tables/bronze_wiki_events";
    expect((await get(bronze, { method: "HEAD" })).status).toBe(404); // never created here
    expect((await get("/iceberg/v1/namespaces/nope/tables/silver_wiki_events", { method: "HEAD" })).status)
      .toBe(404);
  });
  it("404 NoSuchTableException / NoSuchNamespaceException, names only from the table list", async () => {
    for (const t of ["bronze_wiki_events", "nope"]) {
      const body = await specAnswer("GET", TABLE_T, `/iceberg/v1/namespaces/wiki/tables/${t}`, 404);
      expect(body.error.type).toBe("NoSuchTableException");
    }
    // A name no table could have (NUL, traversal) is the spec's 400, never a lookup.
    for (const t of ["silver_wiki_events%00", "..%2F..%2Fsilver_wiki_events"]) {
      const body = await specAnswer("GET", TABLE_T, `/iceberg/v1/namespaces/wiki/tables/${t}`, 400);
      expect(body.error.type).toBe("BadRequestException");
    }
    const ns = await specAnswer(
      "GET",
      TABLE_T,
      "/iceberg/v1/namespaces/other/tables/silver_wiki_events",
      404,
    );
    expect(ns.error.type).toBe("NoSuchNamespaceException");
  });
  it("config points clients at the local S3 endpoint when it is on, else at R2's", async () => {
    const local = parseJsonBig(
      await (await get(`http://127.0.0.1:8787${SILVER_PATH}`, {}, withVars({ S3_ENDPOINT: "on" }))).text(),
    ) as any;
    expect(local.config).toEqual({
      "s3.endpoint": "http://127.0.0.1:8787",
      "s3.path-style-access": "true",
      "s3.region": "auto",
      "client.region": "auto",
      "s3.access-key-id": "wikiflare-local",
      "s3.secret-access-key": "wikiflare-local-unchecked",
    });
    const account = "0123456789abcdef0123456789abcdef";
    const deployed = parseJsonBig(
      await (await get(SILVER_PATH, {}, withVars({ S3_ENDPOINT: "off", R2_ACCOUNT_ID: account }))).text(),
    ) as any;
    expect(deployed.config).toEqual({
      "s3.endpoint": `https://${account}.r2.cloudflarestorage.com`,
      "s3.path-style-access": "true",
      "s3.region": "auto",
      "client.region": "auto",
    });
  });
  it("every POST, PUT and DELETE route of the spec answers 501 read-only, never a 5xx a client reads as unknown", async () => {
    // The routes come from the spec document itself (no prefix is set, so `{prefix}/` is dropped).
    const params: Record<string, string> = {
      namespace: "wiki",
      table: "silver_wiki_events",
      view: "some_view",
      "plan-id": "some-plan",
    };
    const writes = specOperations().filter(([method]) => method !== "GET" && method !== "HEAD")
      .map(([method, template]): [string, string] => [
        method,
        "/iceberg" + template.replace("/{prefix}/", "/").replace(/\{([^}]+)\}/g, (_, name) => {
          if (!(name in params)) throw new Error(`no value for {${name}} in ${template}`);
          return params[name];
        }),
      ]);
    // 21 in the pinned spec: commits, creates, drops, register, rename, transactions, metrics,
    // namespace properties, views, scan planning, remote signing and the OAuth token route.
    expect(writes.length).toBeGreaterThanOrEqual(20);
    expect(writes).toContainEqual(["POST", SILVER_PATH]);
    for (const [method, path] of writes) {
      const res = await get(path, { method, body: method === "POST" ? "{}" : undefined });
      expect(res.status, `${method} ${path}`).toBe(501);
      const body = asAny(await res.json());
      expect(schemaErrors("IcebergErrorResponse", body)).toEqual([]);
      expect(body.error).toMatchObject({ type: "UnsupportedOperationException", code: 501 });
      expect(body.error.message).toContain("read-only");
    }
  });
});

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
    expect(body.endpoints).toEqual([
      "GET /v1/{prefix}/namespaces",
      "GET /v1/{prefix}/namespaces/{namespace}",
      "HEAD /v1/{prefix}/namespaces/{namespace}",
      "GET /v1/{prefix}/namespaces/{namespace}/tables",
      "GET /v1/{prefix}/namespaces/{namespace}/tables/{table}",
      "HEAD /v1/{prefix}/namespaces/{namespace}/tables/{table}",
    ]);
    for (const e of body.endpoints) {
      const [method, path] = e.split(" ");
      expect(specStatuses(method, path), e).toContain(method === "HEAD" ? "204" : "200");
    }
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
    expect(res.status).toBe(501);
    const body = asAny(await res.json());
    expect(schemaErrors("IcebergErrorResponse", body)).toEqual([]);
    expect(body.error.message).toContain("read-only");
  });
});

describe("iceberg REST catalog: CATALOG_TOKEN", () => {
  const token = "catalog-test-token-0123";
  const locked = withVars({ CATALOG_TOKEN: token });
  const routes: [string, string][] = [
    ["GET", "/iceberg/v1/config"],
    ["GET", "/iceberg/v1/namespaces"],
    ["GET", "/iceberg/v1/namespaces/wiki"],
    ["HEAD", "/iceberg/v1/namespaces/wiki"],
    ["GET", "/iceberg/v1/namespaces/wiki/tables"],
    ["GET", SILVER_PATH],
    ["HEAD", SILVER_PATH],
    ["POST", SILVER_PATH],
    ["GET", "/iceberg/v1/namespaces/wiki/views"],
  ];
  it("every route answers 401 ErrorModel without the right bearer token", async () => {
    for (const [method, path] of routes) {
      for (const auth of [undefined, "Bearer wrong", `Basic ${token}`, `Bearer ${token}x`, token]) {
        const headers: Record<string, string> = auth ? { Authorization: auth } : {};
        const res = await get(path, { method, headers }, locked);
        expect(res.status, `${method} ${path} ${auth}`).toBe(401);
        expect(res.headers.get("WWW-Authenticate")).toContain("Bearer");
        if (method !== "HEAD") {
          const body = await res.json();
          expect(responseErrors("GET", "/v1/config", 401, body)).toEqual([]);
          expect(asAny(body).error).toMatchObject({ type: "NotAuthorizedException", code: 401 });
        }
      }
    }
  });
  it("the right token opens every route", async () => {
    const want = [200, 200, 200, 204, 200, 200, 204, 501, 404];
    for (const [i, [method, path]] of routes.entries()) {
      const res = await get(path, { method, headers: { Authorization: `Bearer ${token}` } }, locked);
      expect(res.status, `${method} ${path}`).toBe(want[i]);
    }
  });
});
