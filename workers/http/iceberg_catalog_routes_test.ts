/** The read-only Iceberg REST catalog under /iceberg: config, namespaces, table list, 404s, writes refused. */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { app } from "./app.ts";
import { TABLES } from "../../r2/tables/schemas.ts";

const get = (path: string, init?: RequestInit) => app.request(path, init, env);
const asAny = (b: unknown): any => b;

describe("iceberg REST catalog", () => {
  it("GET /iceberg/v1/config", async () => {
    const res = await get("/iceberg/v1/config");
    expect(res.status).toBe(200);
    const body = asAny(await res.json());
    expect(body.defaults).toEqual({});
    expect(body.overrides).toEqual({});
    expect(body.endpoints.length).toBeGreaterThan(0);
  });
  it("lists the namespace and its tables", async () => {
    expect(await (await get("/iceberg/v1/namespaces")).json()).toEqual({ namespaces: [["wiki"]] });
    expect((await get("/iceberg/v1/namespaces/wiki", { method: "HEAD" })).status).toBe(204);
    const tables = asAny(await (await get("/iceberg/v1/namespaces/wiki/tables")).json());
    expect(tables.identifiers.map((i: any) => i.name)).toEqual(TABLES.map((t) => t.name));
  });
  it("404 ErrorModel for an unknown namespace", async () => {
    const res = await get("/iceberg/v1/namespaces/nope/tables");
    expect(res.status).toBe(404);
    expect(asAny(await res.json()).error).toMatchObject({ type: "NoSuchNamespaceException", code: 404 });
  });
  it("refuses writes with 405", async () => {
    const res = await get("/iceberg/v1/namespaces", { method: "POST", body: "{}" });
    expect(res.status).toBe(405);
    expect(asAny(await res.json()).error.message).toContain("read-only");
  });
});
