/**
 * Test support (runs in workerd and Node): audits one Iceberg table in a BlobStore the way a
 * reader has to trust it. Metadata versions are 1…N without gaps, version-hint.text says N, and
 * each version extends the one before (same table uuid, its snapshots plus new ones, each new
 * snapshot's parent the previous current one, sequence numbers rising); every data file of the
 * current snapshot exists with its recorded size, and hyparquet (a Parquet reader that shares
 * no code with the writer) reads exactly its recorded row count from it; no row key is in two
 * live files; the files' rows add up to the snapshot summary's `total-records`.
 *
 * icebird and iceberg-check cannot run inside workerd (they compile WebAssembly at run time or
 * need Node); they check the same lake in the Node and e2e tests. hyparquet reads zstd pages
 * with fzstd (both come with icebird).
 */
import { parquetReadObjects } from "hyparquet";
import { decompress as decompressZstd } from "fzstd";
import type { BlobStore } from "../blob_store.ts";
import type { IcebergTable } from "../iceberg/table_writer.ts";
import { parseTableMetadata, type TableMetadata } from "../iceberg/table_metadata.ts";
import { decodeManifest } from "../iceberg/manifest.ts";
import { keyFromUri } from "../iceberg/paths.ts";
import { loadManifestList } from "../iceberg/table_reader.ts";

/** What `auditTable` found; `problems` is empty for a valid table. */
export interface TableAudit {
  /** Metadata versions present (`v<N>.metadata.json`), ascending. */
  versions: number[];
  /** Snapshots in the current metadata. */
  snapshots: number;
  /** Live data files of the current snapshot (R2 key and row count read back). */
  files: { key: string; rows: number }[];
  /** Row keys of the current snapshot, read back from its data files. */
  keys: string[];
  /** Every violation found, as a sentence. */
  problems: string[];
}

const VERSION = /\/metadata\/v(\d+)\.metadata\.json$/;
const decoder = new TextDecoder();

/** Audits `table` in `store`; `keyOf` names a row (the table's identity columns). */
export async function auditTable(
  store: BlobStore,
  table: IcebergTable,
  keyOf: (row: Record<string, unknown>) => string,
): Promise<TableAudit> {
  const problems: string[] = [];
  const versions = (await store.list(`${table.prefix}/metadata/v`))
    .map((k) => Number(VERSION.exec(k)?.[1] ?? NaN)).filter(Number.isInteger).sort((a, b) => a - b);
  // Snapshot expiration deletes the oldest versions (bounded metadata-log): the rest run without gaps.
  versions.forEach((v, i) =>
    i > 0 && v !== versions[0] + i && problems.push(`metadata v${versions[0] + i} is missing (found v${v})`)
  );
  if (!versions.length) {
    return { versions, snapshots: 0, files: [], keys: [], problems: ["table has no metadata"] };
  }
  const hintBytes = await store.get(`${table.prefix}/metadata/version-hint.text`);
  const hint = hintBytes ? decoder.decode(hintBytes) : null;
  if (hint !== String(versions.at(-1))) {
    problems.push(`version hint is ${hint}, newest is v${versions.at(-1)}`);
  }
  await checkVersionChain(store, table.prefix, versions, problems);
  const snapshots = await table.snapshots();
  const total = Number(snapshots.at(-1)?.summary["total-records"] ?? 0);

  const files: TableAudit["files"] = [];
  const keys: string[] = [];
  const fileOfKey = new Map<string, string>();
  for (const file of await table.liveFiles()) {
    const bytes = await store.get(file.key);
    if (!bytes) {
      problems.push(`live data file ${file.key} does not exist`);
      continue;
    }
    if (bytes.length !== Number(file.file_size_in_bytes)) {
      problems.push(`${file.key} has ${bytes.length} bytes, manifest says ${file.file_size_in_bytes}`);
    }
    const rows = await parquetReadObjects({
      file: bytes.slice().buffer,
      compressors: { ZSTD: (input: Uint8Array) => decompressZstd(input) },
    });
    if (rows.length !== Number(file.record_count)) {
      problems.push(`${file.key} holds ${rows.length} rows, manifest says ${file.record_count}`);
    }
    for (const row of rows) {
      const key = keyOf(row);
      keys.push(key);
      const other = fileOfKey.get(key);
      if (other !== undefined) problems.push(`row ${key} is in ${other} and in ${file.key}`);
      fileOfKey.set(key, file.key);
    }
    files.push({ key: file.key, rows: rows.length });
  }
  if (keys.length !== total) problems.push(`live files hold ${keys.length} rows, snapshot says ${total}`);
  await checkReachable(store, table, problems);
  return { versions, snapshots: snapshots.length, files, keys, problems };
}

/** Every manifest list, manifest and live data file of every kept snapshot must exist. */
async function checkReachable(store: BlobStore, table: IcebergTable, problems: string[]): Promise<void> {
  const seen = new Set<string>();
  const exists = async (uri: string, what: string) => {
    if (seen.has(uri)) return;
    seen.add(uri);
    const key = keyFromUri(table.location, table.prefix, uri);
    if (!await store.head(key)) problems.push(`${what} ${uri} of a kept snapshot does not exist`);
  };
  const metadata = await table.metadata();
  const place = { location: table.location, prefix: table.prefix };
  for (const snapshot of metadata?.snapshots ?? []) {
    await exists(snapshot["manifest-list"], "manifest list");
    if (!await store.head(keyFromUri(table.location, table.prefix, snapshot["manifest-list"]))) continue;
    for (const m of await loadManifestList(store, place, snapshot)) {
      await exists(m.manifest_path, "manifest");
      const bytes = await store.get(keyFromUri(table.location, table.prefix, m.manifest_path));
      if (!bytes) continue;
      for (const e of await decodeManifest(bytes, place)) {
        if (e.status !== 2) await exists(e.file.path, "data file");
      }
    }
  }
}

/** Each metadata version must extend the previous one by zero or more snapshots, in order. */
async function checkVersionChain(
  store: BlobStore,
  prefix: string,
  versions: number[],
  problems: string[],
): Promise<void> {
  let previous: TableMetadata | null = null;
  for (const version of versions) {
    const bytes = await store.get(`${prefix}/metadata/v${version}.metadata.json`);
    let metadata: TableMetadata;
    try {
      metadata = parseTableMetadata(decoder.decode(bytes!));
    } catch (error) {
      problems.push(`v${version} does not parse: ${error}`);
      continue;
    }
    const where = `v${version}`;
    const ids = metadata.snapshots.map((s) => s["snapshot-id"]);
    if (ids.length && metadata["current-snapshot-id"] !== ids.at(-1)) {
      problems.push(
        `${where}: current snapshot ${metadata["current-snapshot-id"]} is not the newest ${ids.at(-1)}`,
      );
    }
    metadata.snapshots.forEach((s, i) => {
      if (i > 0 && s["parent-snapshot-id"] !== ids[i - 1]) {
        problems.push(`${where}: snapshot ${i} has the wrong parent`);
      }
      if (i > 0 && s["sequence-number"] <= metadata.snapshots[i - 1]["sequence-number"]) {
        problems.push(`${where}: sequence numbers do not rise at snapshot ${i}`);
      }
    });
    if (previous) {
      if (metadata["table-uuid"] !== previous["table-uuid"]) problems.push(`${where}: table uuid changed`);
      // An expiration drops a prefix of the previous snapshots; the rest must stay, in order.
      const before = previous.snapshots.map((s) => s["snapshot-id"]).filter((id) => ids.includes(id));
      const dropped = previous.snapshots.length - before.length;
      if (dropped && previous.snapshots.slice(0, dropped).some((s) => ids.includes(s["snapshot-id"]))) {
        problems.push(`${where}: expired snapshots of v${version - 1} that are not its oldest`);
      }
      if (before.some((id, i) => ids[i] !== id)) {
        problems.push(`${where}: does not keep v${version - 1}'s snapshots`);
      }
      if (!metadata["metadata-log"].at(-1)?.["metadata-file"].endsWith(`/v${version - 1}.metadata.json`)) {
        problems.push(`${where}: metadata-log does not name v${version - 1}`);
      }
    }
    previous = metadata;
  }
}

/** Bronze identity: the SSE id's topic/partition/offset with the event key. */
export const bronzeKey = (r: Record<string, unknown>): string =>
  `${r.topic}/${r.partition}/${r.offset}/${r.event_key}`;

/** Silver identity: the event id. */
export const silverKey = (r: Record<string, unknown>): string => String(r.event_id);

/** Quarantine identity: the event key. */
export const quarantineKey = (r: Record<string, unknown>): string => String(r.event_key);
