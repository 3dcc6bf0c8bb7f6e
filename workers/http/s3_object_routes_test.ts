/** The read-only S3 object endpoint over the local R2 bucket (workerd, real local R2). */
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { app } from "./app.ts";

const WAREHOUSE = `s3-test-${Date.now()}`;
const BUCKET = env.LAKE_BUCKET_NAME;
const KEY = `${WAREHOUSE}/wiki/silver_wiki_events/data/event_time_day=2026-01-01/00000-test.parquet`;
const SIZE = 1000;
const bytes = crypto.getRandomValues(new Uint8Array(SIZE));
const withVars = (vars: Record<string, string>): Env => ({ ...env, WAREHOUSE, ...vars }) as unknown as Env;
const on = withVars({ S3_ENDPOINT: "on" });
const req = (path: string, init?: RequestInit, e: Env = on) => app.request(path, init, e);
const objectPath = `/${BUCKET}/${KEY}`;

beforeAll(async () => {
  await env.LAKE.put(KEY, bytes);
  await env.LAKE.put(`${WAREHOUSE}-other/secret.txt`, "secret");
  await env.LAKE.put(`${WAREHOUSE}/secret.txt`, "secret");
});

async function xmlCode(res: Response): Promise<string | undefined> {
  expect(res.headers.get("Content-Type")).toBe("application/xml");
  return /<Code>([^<]+)<\/Code>/.exec(await res.text())?.[1];
}

describe("S3 endpoint: HeadObject and GetObject", () => {
  it("HEAD answers the headers S3 clients rely on", async () => {
    const r2 = (await env.LAKE.head(KEY))!;
    const res = await req(objectPath, { method: "HEAD" });
    expect(res.status).toBe(200);
    expect(res.headers.get("Content-Length")).toBe(String(SIZE));
    expect(res.headers.get("ETag")).toBe(r2.httpEtag);
    expect(res.headers.get("ETag")).toMatch(/^"[^"]+"$/);
    expect(res.headers.get("Last-Modified")).toBe(r2.uploaded.toUTCString());
    expect(res.headers.get("Accept-Ranges")).toBe("bytes");
    // the ETag is stable across requests (DuckDB compares them)
    expect((await req(objectPath)).headers.get("ETag")).toBe(r2.httpEtag);
  });
  it("GET without Range answers the whole object", async () => {
    const res = await req(objectPath);
    expect(res.status).toBe(200);
    expect(res.headers.get("Content-Length")).toBe(String(SIZE));
    expect(new Uint8Array(await res.arrayBuffer())).toEqual(bytes);
  });
  it("Range bytes=a-b, a-, -n answer 206 with exactly those bytes", async () => {
    const cases: [string, number, number][] = [
      ["bytes=0-0", 0, 1],
      ["bytes=10-19", 10, 10],
      ["bytes=990-2000", 990, 10],
      ["bytes=900-", 900, 100],
      ["bytes=-8", SIZE - 8, 8],
      ["bytes=-5000", 0, SIZE],
      ["bytes=999-999", 999, 1],
    ];
    for (const [range, offset, length] of cases) {
      const res = await req(objectPath, { headers: { Range: range } });
      expect(res.status, range).toBe(206);
      expect(res.headers.get("Content-Range"), range).toBe(`bytes ${offset}-${offset + length - 1}/${SIZE}`);
      expect(res.headers.get("Content-Length"), range).toBe(String(length));
      expect(new Uint8Array(await res.arrayBuffer()), range).toEqual(bytes.slice(offset, offset + length));
    }
  });
  it("an unsatisfiable range is a 416 with Content-Range */size", async () => {
    for (const range of ["bytes=1000-", "bytes=5000-6000", "bytes=-0"]) {
      const res = await req(objectPath, { headers: { Range: range } });
      expect(res.status, range).toBe(416);
      expect(res.headers.get("Content-Range")).toBe(`bytes */${SIZE}`);
      expect(await xmlCode(res)).toBe("InvalidRange");
    }
  });
  it("If-Match is honoured (s3fs sends it on ranged reads)", async () => {
    const etag = (await env.LAKE.head(KEY))!.httpEtag;
    const ok = await req(objectPath, { headers: { Range: "bytes=0-3", "If-Match": etag } });
    expect(ok.status).toBe(206);
    expect(new Uint8Array(await ok.arrayBuffer())).toEqual(bytes.slice(0, 4));
    const stale = await req(objectPath, { headers: { Range: "bytes=0-3", "If-Match": '"0000"' } });
    expect(stale.status).toBe(412);
    expect(await xmlCode(stale)).toBe("PreconditionFailed");
  });
  it("a missing key is a 404 NoSuchKey (HEAD without a body)", async () => {
    const missing = `/${BUCKET}/${WAREHOUSE}/wiki/silver_wiki_events/data/nope.parquet`;
    const res = await req(missing);
    expect(res.status).toBe(404);
    expect(await xmlCode(res)).toBe("NoSuchKey");
    const head = await req(missing, { method: "HEAD" });
    expect(head.status).toBe(404);
    expect(await head.text()).toBe("");
  });
});

describe("S3 endpoint: refusals", () => {
  it("keys outside the warehouse tables and traversal attempts are 403 AccessDenied", async () => {
    const paths = [
      `/${BUCKET}/${WAREHOUSE}-other/secret.txt`,
      `/${BUCKET}/${WAREHOUSE}/secret.txt`,
      `/${BUCKET}/${WAREHOUSE}/wiki/silver_wiki_events/data/../../../secret.txt`,
      `/${BUCKET}/${WAREHOUSE}/wiki/silver_wiki_events/data/%2e%2e/%2e%2e/%2e%2e/secret.txt`,
      `/${BUCKET}/${WAREHOUSE}/wiki/silver_wiki_events/data/..%2F..%2F..%2Fsecret.txt`,
      `/${BUCKET}/${WAREHOUSE}/wiki/silver_wiki_events/data/%252e%252e/x`,
      `/${BUCKET}/${WAREHOUSE}/wiki/nope/data/x.parquet`,
    ];
    for (const p of paths) {
      const res = await req(p);
      expect(res.status, p).toBe(403);
      const text = await res.text();
      expect(text, p).toContain("<Code>AccessDenied</Code>");
      expect(text, p).not.toContain("secret</");
    }
  });
  it("no listing", async () => {
    for (const p of [`/${BUCKET}`, `/${BUCKET}/`, `/${BUCKET}?list-type=2&prefix=${WAREHOUSE}`]) {
      const res = await req(p);
      expect(res.status, p).toBe(403);
      expect(await xmlCode(res)).toBe("AccessDenied");
    }
  });
  it("no writes: 405 MethodNotAllowed and the object is unchanged", async () => {
    for (const method of ["PUT", "POST", "DELETE", "PATCH"]) {
      const res = await req(objectPath, { method, body: method === "DELETE" ? undefined : "x" });
      expect(res.status, method).toBe(405);
      expect(res.headers.get("Allow")).toBe("GET, HEAD");
      expect(await xmlCode(res)).toBe("MethodNotAllowed");
    }
    expect(new Uint8Array(await (await env.LAKE.get(KEY))!.arrayBuffer())).toEqual(bytes);
  });
  it("off (the deployed default): the path is an ordinary 404 of the API", async () => {
    for (const e of [env, withVars({ S3_ENDPOINT: "off" })]) {
      const res = await req(objectPath, {}, e);
      expect(res.status).toBe(404);
      expect(res.headers.get("Content-Type")).toContain("application/json");
    }
    expect((await req(objectPath, { method: "PUT", body: "x" }, env)).status).toBe(404);
  });
});
