/**
 * Where a table's objects live: absolute `s3://` URIs for Iceberg metadata (v2 paths are
 * absolute; PyIceberg, Java and DuckDB read s3://) and the matching R2 keys for the writer.
 */
import { NAMESPACE } from "../tables/schemas.ts";

const DAY_MS = 86_400_000;
const SEGMENT = /^[^/]+(\/[^/]+)*$/;

/** The table's location URI: `s3://<bucket>/<warehouse>/wiki/<table>` (no trailing slash). */
export function tableLocation(bucket: string, warehouse: string, table: string): string {
  if (!/^[^/:]+$/.test(bucket)) {
    throw new RangeError(`Bucket name must be non-empty without "/" or ":", got "${bucket}"`);
  }
  return `s3://${bucket}/${tablePrefix(warehouse, table)}`;
}

/** The table's R2 key prefix: `<warehouse>/wiki/<table>`. */
export function tablePrefix(warehouse: string, table: string): string {
  if (!SEGMENT.test(warehouse)) {
    throw new RangeError(`Warehouse must be a relative path without empty segments, got "${warehouse}"`);
  }
  if (!/^[^/]+$/.test(table)) {
    throw new RangeError(`Table name must be non-empty without "/", got "${table}"`);
  }
  return `${warehouse}/${NAMESPACE}/${table}`;
}

/** `<prefix>/metadata/v<N>.metadata.json`. */
export function metadataKey(prefix: string, version: number): string {
  if (!Number.isInteger(version) || version < 1) {
    throw new RangeError(`Metadata version must be an integer ≥ 1, got ${version}`);
  }
  return `${prefix}/metadata/v${version}.metadata.json`;
}

/** `<prefix>/metadata/version-hint.text`. */
export function versionHintKey(prefix: string): string {
  return `${prefix}/metadata/version-hint.text`;
}

/** `<prefix>/metadata/<fileName>` (manifests and manifest lists). */
export function metadataFileKey(prefix: string, fileName: string): string {
  return `${prefix}/metadata/${fileName}`;
}

/** `<prefix>/data/<partitionName>=<YYYY-MM-DD>/<fileName>` (the directory is cosmetic). */
export function dataFileKey(prefix: string, partitionName: string, day: number, fileName: string): string {
  if (!fileName || fileName.includes("/")) {
    throw new RangeError(`Data file name must be non-empty without "/", got "${fileName}"`);
  }
  return `${prefix}/data/${partitionName}=${formatDay(day)}/${fileName}`;
}

/** The ISO date (`YYYY-MM-DD`) of a day number (days since 1970-01-01). */
export function formatDay(day: number): string {
  if (!Number.isInteger(day)) throw new RangeError(`Day must be an integer, got ${day}`);
  return new Date(day * DAY_MS).toISOString().slice(0, 10);
}

/** The URI of a key under the table: `location` + the key's part after `prefix`. */
export function uriFromKey(location: string, prefix: string, key: string): string {
  if (!key.startsWith(`${prefix}/`)) {
    throw new RangeError(`Key "${key}" is not under the table prefix "${prefix}"`);
  }
  return location + key.slice(prefix.length);
}

/** The R2 key of a URI under the table's location; throws RangeError for a URI elsewhere. */
export function keyFromUri(location: string, prefix: string, uri: string): string {
  if (!uri.startsWith(`${location}/`)) {
    throw new RangeError(`URI "${uri}" is not under the table location "${location}"`);
  }
  return prefix + uri.slice(location.length);
}
