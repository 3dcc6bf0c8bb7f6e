import { Hono } from "hono";
import {
  catalogConfig,
  icebergError,
  isKnownNamespace,
  listNamespaces,
  listTables,
  READ_ONLY_MESSAGE,
} from "../catalog/catalog_core.ts";

/** A namespace name we could ever serve: letters, digits, `_`, at most 255; anything else is a 400. */
const NAMESPACE_SHAPE = /^[A-Za-z0-9_]{1,255}$/;
const badNamespace = () =>
  icebergError(400, "BadRequestException", "namespace must match ^[A-Za-z0-9_]{1,255}$");

const noSuchNamespace = (ns: string) =>
  icebergError(404, "NoSuchNamespaceException", `Namespace does not exist: ${ns.slice(0, 64)}`);

/** Read-only Iceberg REST catalog (issue 15), mounted under `/iceberg`. */
export const icebergCatalogRoutes = new Hono<{ Bindings: Env }>()
  .get("/v1/config", (c) => c.json(catalogConfig()))
  .get("/v1/namespaces", (c) => c.json(listNamespaces()))
  .on(["GET", "HEAD"], "/v1/namespaces/:ns", (c) => {
    const ns = c.req.param("ns");
    if (!NAMESPACE_SHAPE.test(ns)) return c.json(badNamespace(), 400);
    if (!isKnownNamespace(ns)) return c.json(noSuchNamespace(ns), 404);
    return c.req.method === "HEAD" ? c.body(null, 204) : c.json({ namespace: [ns], properties: {} });
  })
  .get("/v1/namespaces/:ns/tables", (c) => {
    const ns = c.req.param("ns");
    if (!NAMESPACE_SHAPE.test(ns)) return c.json(badNamespace(), 400);
    return isKnownNamespace(ns) ? c.json(listTables()) : c.json(noSuchNamespace(ns), 404);
  })
  .on(
    ["POST", "PUT", "DELETE", "PATCH"],
    "/v1/*",
    (c) => c.json(icebergError(405, "MethodNotAllowedException", READ_ONLY_MESSAGE), 405),
  );
