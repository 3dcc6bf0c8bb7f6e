import { NAMESPACE, TABLES } from "../../r2/tables/schemas.ts";

/** Iceberg REST spec ErrorModel wrapped as `{ error: … }` (IcebergErrorResponse). */
export interface IcebergError {
  readonly error: { readonly message: string; readonly type: string; readonly code: number };
}

/**
 * Routes this read-only catalog serves, in the spec's `endpoints` notation: the spec's resource
 * paths written literally, `{prefix}` included (clients compare them with their own constants,
 * e.g. Java's `ResourcePaths.V1_TABLE`; no `prefix` is configured, so clients leave it out).
 */
export const SERVED_ENDPOINTS: readonly string[] = [
  "GET /v1/{prefix}/namespaces",
  "GET /v1/{prefix}/namespaces/{namespace}",
  "HEAD /v1/{prefix}/namespaces/{namespace}",
  "GET /v1/{prefix}/namespaces/{namespace}/tables",
];

/** CatalogConfig answer of `GET /v1/config`. */
export function catalogConfig(): {
  defaults: Record<string, string>;
  overrides: Record<string, string>;
  endpoints: string[];
} {
  return { defaults: {}, overrides: {}, endpoints: [...SERVED_ENDPOINTS] };
}

/** ListNamespacesResponse: the lake has the one namespace. */
export function listNamespaces(): { namespaces: string[][] } {
  return { namespaces: [[NAMESPACE]] };
}

/** True when `name` is the lake's namespace. */
export function isKnownNamespace(name: string): boolean {
  return name === NAMESPACE;
}

/** ListTablesResponse for the fixed table list. */
export function listTables(): { identifiers: { namespace: string[]; name: string }[] } {
  return { identifiers: TABLES.map((t) => ({ namespace: [NAMESPACE], name: t.name })) };
}

/** An IcebergErrorResponse body. */
export function icebergError(code: number, type: string, message: string): IcebergError {
  return { error: { message, type, code } };
}

/** The answer to every write route. */
export const READ_ONLY_MESSAGE = "catalog is read-only, the pipeline is the only writer";
