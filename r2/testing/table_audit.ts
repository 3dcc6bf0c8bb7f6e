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
  versions.forEach((v, i) => v !== i + 1 && problems.push(`metadata v${i + 1} is missing (found v${v})`));
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
  return { versions, snapshots: snapshots.length, files, keys, problems };
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
      const before = previous.snapshots.map((s) => s["snapshot-id"]);
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
