import { Hono } from "hono";
import type { Context } from "hono";
import { lakeObjectKey, parseRange, s3ErrorXml } from "../catalog/s3_core.ts";
import { s3EndpointEnabled } from "../catalog/catalog_core.ts";

type C = Context<{ Bindings: Env }>;

/** An S3 XML error (no body for HEAD, as S3 answers). */
function s3Error(c: C, status: 403 | 404 | 405 | 412 | 416, code: string, message: string, extra = {}) {
  const headers = { "Content-Type": "application/xml", ...extra };
  if (c.req.method === "HEAD") return c.body(null, status, headers);
  const requestId = c.res.headers.get("X-Request-Id") ?? crypto.randomUUID();
  const resource = new URL(c.req.url).pathname;
  return c.body(s3ErrorXml(code, message, resource, requestId), status, headers);
}

/** GetObject / HeadObject of one lake key, with single byte ranges and If-Match. */
async function serveObject(c: C, key: string) {
  const head = await c.env.LAKE.head(key);
  if (!head) return s3Error(c, 404, "NoSuchKey", "The specified key does not exist.");
  const ifMatch = c.req.header("If-Match");
  if (ifMatch && ifMatch.trim() !== "*" && !ifMatch.split(",").some((t) => t.trim() === head.httpEtag)) {
    return s3Error(
      c,
      412,
      "PreconditionFailed",
      "At least one of the preconditions you specified did not hold.",
    );
  }
  const headers: Record<string, string> = {
    "Accept-Ranges": "bytes",
    ETag: head.httpEtag,
    "Last-Modified": head.uploaded.toUTCString(),
    "Content-Type": head.httpMetadata?.contentType ?? "application/octet-stream",
  };
  if (c.req.method === "HEAD") {
    return c.body(null, 200, { ...headers, "Content-Length": String(head.size) });
  }
  const ask = parseRange(c.req.header("Range"), head.size);
  if (ask.kind === "unsatisfiable") {
    return s3Error(c, 416, "InvalidRange", "The requested range is not satisfiable", {
      "Content-Range": `bytes */${head.size}`,
    });
  }
  const range = ask.kind === "partial" ? { offset: ask.offset, length: ask.length } : undefined;
  // Keys are immutable once written, except version-hint.text: pin the body to the headed version.
  const object = await c.env.LAKE.get(key, { range, onlyIf: { etagMatches: head.etag } });
  if (!object) return s3Error(c, 404, "NoSuchKey", "The specified key does not exist.");
  if (!("body" in object)) {
    return s3Error(c, 412, "PreconditionFailed", "The object changed while it was read; retry.");
  }
  if (ask.kind === "full") {
    return c.body(object.body, 200, { ...headers, "Content-Length": String(head.size) });
  }
  const last = ask.offset + ask.length - 1;
  return c.body(object.body, 206, {
    ...headers,
    "Content-Length": String(ask.length),
    "Content-Range": `bytes ${ask.offset}-${last}/${head.size}`,
  });
}

/**
 * A read-only, S3-compatible (path-style) object endpoint over the lake bucket:
 * `GET|HEAD /<LAKE_BUCKET_NAME>/<key>` for table files under the warehouse, nothing else; it
 * exists only while the S3_ENDPOINT var is "on" (local), every other path falls through.
 * Signatures are not checked (the local keys the catalog hands out are dummies).
 */
export const s3ObjectRoutes = new Hono<{ Bindings: Env }>()
  .all("/:bucket/*", async (c, next) => {
    if (!s3EndpointEnabled(c.env.S3_ENDPOINT) || c.req.param("bucket") !== c.env.LAKE_BUCKET_NAME) {
      return next();
    }
    if (c.req.method !== "GET" && c.req.method !== "HEAD") {
      return s3Error(c, 405, "MethodNotAllowed", "This endpoint is read-only: GET and HEAD only.", {
        Allow: "GET, HEAD",
      });
    }
    const pathname = new URL(c.req.url).pathname;
    const rest = pathname.slice(c.env.LAKE_BUCKET_NAME.length + 2);
    const key = lakeObjectKey(rest, c.env.WAREHOUSE);
    if (!key) {
      return s3Error(c, 403, "AccessDenied", "Only table files under the warehouse can be read; no listing.");
    }
    return serveObject(c, key);
  })
  .all("/:bucket", async (c, next) => {
    if (!s3EndpointEnabled(c.env.S3_ENDPOINT) || c.req.param("bucket") !== c.env.LAKE_BUCKET_NAME) {
      return next();
    }
    return s3Error(c, 403, "AccessDenied", "Listing is not served.");
  });
