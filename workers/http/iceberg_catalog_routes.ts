import { Hono } from "hono";
import { createMiddleware } from "hono/factory";
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
  READ_ONLY_MESSAGE,
} from "../catalog/catalog_core.ts";
import { metadataKey, tableLocation, tablePrefix, uriFromKey } from "../../r2/iceberg/paths.ts";
import { locateCurrent } from "../../r2/iceberg/table_reader.ts";
import { R2BlobStore } from "../../r2/r2_blob_store_binding.ts";
import type { TableName } from "../../r2/tables/schemas.ts";
import { timingSafeEqual } from "./auth.ts";

const shown = (raw: string) => raw.slice(0, 64);
const noSuchNamespace = (ns: string) =>
  icebergError(404, "NoSuchNamespaceException", `Namespace does not exist: ${shown(ns)}`);
const noSuchTable = (ns: string, table: string) =>
  icebergError(404, "NoSuchTableException", `Table does not exist: ${shown(ns)}.${shown(table)}`);

/** The current committed metadata of `table`: its s3:// location and verbatim text, or null. */
async function currentMetadata(env: Env, table: TableName) {
  const prefix = tablePrefix(env.WAREHOUSE, table);
  const current = await locateCurrent(new R2BlobStore(env.LAKE), prefix);
  if (!current) return null;
  const location = tableLocation(env.LAKE_BUCKET_NAME, env.WAREHOUSE, table);
  return {
    location: uriFromKey(location, prefix, metadataKey(prefix, current.version)),
    text: current.metadataText,
  };
}

/**
 * When CATALOG_TOKEN is set, every catalog route needs `Authorization: Bearer <CATALOG_TOKEN>`
 * (compared in constant time); otherwise a 401 IcebergErrorResponse. Unset: the catalog is open.
 */
const requireCatalogToken = createMiddleware<{ Bindings: Env }>(async (c, next) => {
  const expected = (c.env as { CATALOG_TOKEN?: string }).CATALOG_TOKEN; // a secret, not in wrangler.toml
  if (!expected) return next();
  const match = /^Bearer\s+(.+)$/i.exec(c.req.header("Authorization") ?? "");
  if (match && timingSafeEqual(match[1].trim(), expected)) return next();
  const message = match
    ? "Invalid catalog token"
    : "Missing bearer token (Authorization: Bearer <CATALOG_TOKEN>)";
  return c.json(icebergError(401, "NotAuthorizedException", message), 401, {
    "WWW-Authenticate": 'Bearer realm="iceberg"',
  });
});

/** Read-only Iceberg REST catalog (issue 15), mounted under `/iceberg`. */
export const icebergCatalogRoutes = new Hono<{ Bindings: Env }>()
  .use("*", requireCatalogToken)
  .get("/v1/config", (c) => c.json(catalogConfig()))
  .get("/v1/namespaces", (c) => c.json(listNamespaces()))
  .on(["GET", "HEAD"], "/v1/namespaces/:ns", (c) => {
    const ns = c.req.param("ns");
    if (!isKnownNamespace(ns)) return c.json(noSuchNamespace(ns), 404);
    return c.req.method === "HEAD" ? c.body(null, 204) : c.json({ namespace: [ns], properties: {} });
  })
  .get("/v1/namespaces/:ns/tables", (c) => {
    const ns = c.req.param("ns");
    return isKnownNamespace(ns) ? c.json(listTables()) : c.json(noSuchNamespace(ns), 404);
  })
  .on(["GET", "HEAD"], "/v1/namespaces/:ns/tables/:table", async (c) => {
    const ns = c.req.param("ns");
    const raw = c.req.param("table");
    const head = c.req.method === "HEAD";
    if (!isKnownNamespace(ns)) return head ? c.body(null, 404) : c.json(noSuchNamespace(ns), 404);
    const table = catalogTable(raw);
    const current = table ? await currentMetadata(c.env, table) : null;
    if (!current) return head ? c.body(null, 404) : c.json(noSuchTable(ns, raw), 404);
    if (head) return c.body(null, 204);
    const mode = parseSnapshotsMode(c.req.query("snapshots"));
    if (!mode) {
      return c.json(icebergError(400, "BadRequestException", "snapshots must be all or refs"), 400);
    }
    const config = fileIoConfig({
      s3Endpoint: c.env.S3_ENDPOINT,
      origin: new URL(c.req.url).origin,
      accountId: c.env.R2_ACCOUNT_ID,
    });
    return c.body(loadTableResultText(current.location, metadataText(current.text, mode), config), 200, {
      "Content-Type": "application/json",
    });
  })
  .on(
    ["POST", "PUT", "DELETE", "PATCH"],
    "/v1/*",
    (c) => c.json(icebergError(501, "UnsupportedOperationException", READ_ONLY_MESSAGE), 501),
  )
  .all("/v1/*", (c) => c.json(icebergError(404, "NotFoundException", "No such catalog route"), 404));
