import { NAMESPACE, type TableName, TABLES } from "../../r2/tables/schemas.ts";
import { parseJsonBig, stringifyJsonBig } from "../../r2/iceberg/json_big.ts";

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
  "GET /v1/{prefix}/namespaces/{namespace}/tables/{table}",
  "HEAD /v1/{prefix}/namespaces/{namespace}/tables/{table}",
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

/**
 * The table named `raw`, looked up in the fixed table list (the returned name is the list's own
 * string, so no key is ever built from request input), or null.
 */
export function catalogTable(raw: string): TableName | null {
  return TABLES.find((t) => t.name === raw)?.name ?? null;
}

/** The `snapshots` query parameter of loadTable: `all` (the default) or `refs`; null when invalid. */
export function parseSnapshotsMode(raw: string | undefined): "all" | "refs" | null {
  if (raw === undefined || raw === "all") return "all";
  return raw === "refs" ? "refs" : null;
}

/**
 * The `metadata` JSON text of a LoadTableResult: the committed file's text verbatim for `all`;
 * for `refs`, the same metadata with `snapshots` narrowed to those a branch or tag points at.
 */
export function metadataText(committed: string, mode: "all" | "refs"): string {
  if (mode === "all") return committed.trim();
  const metadata = parseJsonBig(committed) as Record<string, unknown> & {
    snapshots?: { "snapshot-id": bigint | number }[];
    refs?: Record<string, { "snapshot-id": bigint | number }>;
  };
  const referenced = new Set(Object.values(metadata.refs ?? {}).map((r) => String(r["snapshot-id"])));
  const snapshots = (metadata.snapshots ?? []).filter((s) => referenced.has(String(s["snapshot-id"])));
  return stringifyJsonBig({ ...metadata, snapshots });
}

/**
 * The LoadTableResult body as JSON text, `metadata` spliced in as text so 64-bit ids in the
 * committed file reach the client digit for digit.
 */
export function loadTableResultText(
  metadataLocation: string,
  metadataJson: string,
  config: Record<string, string>,
): string {
  return `{"metadata-location":${JSON.stringify(metadataLocation)},"metadata":${metadataJson},"config":${
    JSON.stringify(config)
  }}`;
}

/** Where clients read the table files from. */
export interface FileIoPlace {
  /** "on": this Worker's read-only S3 endpoint at `origin`; otherwise R2's S3 endpoint. */
  readonly s3Endpoint: string | undefined;
  /** The catalog request's origin, e.g. `http://127.0.0.1:8787`. */
  readonly origin: string;
  /** Cloudflare account id of the deployed bucket (R2's endpoint is `<id>.r2.cloudflarestorage.com`). */
  readonly accountId: string | undefined;
}

/** Dummy keys of the local endpoint, which serves unsigned and signed requests alike. */
export const LOCAL_S3_KEYS = { id: "wikiflare-local", secret: "wikiflare-local-unchecked" } as const;

/**
 * The `config` of a LoadTableResult (FileIO properties every client reads from there; DuckDB
 * reads them from nowhere else). Path-style addressing and a region are always sent: without a
 * region DuckDB refuses the table and PyArrow asks AWS for the bucket's region.
 */
export function fileIoConfig(place: FileIoPlace): Record<string, string> {
  const common = { "s3.path-style-access": "true", "s3.region": "auto", "client.region": "auto" };
  if (s3EndpointEnabled(place.s3Endpoint)) {
    return {
      "s3.endpoint": place.origin,
      ...common,
      "s3.access-key-id": LOCAL_S3_KEYS.id,
      "s3.secret-access-key": LOCAL_S3_KEYS.secret,
    };
  }
  const id = place.accountId?.trim() ?? "";
  return /^[0-9a-f]{32}$/.test(id)
    ? { "s3.endpoint": `https://${id}.r2.cloudflarestorage.com`, ...common }
    : common;
}

/** True when the S3_ENDPOINT var switches the Worker's own read-only S3 endpoint on. */
export function s3EndpointEnabled(value: string | undefined): boolean {
  return value?.trim().toLowerCase() === "on";
}
