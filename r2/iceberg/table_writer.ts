/**
 * IcebergTable: the imperative shell that commits to one Iceberg v2 table through the BlobStore
 * port (shared by the TableCommitter Durable Object, Node/Deno scripts and tests).
 *
 * Commit protocol: write the new manifest(s) and the manifest list, then create
 * `v<N+1>.metadata.json` only if absent (the commit point); when another writer got there
 * first, reload and retry (bounded) unless the commit id is already in the table; finally write
 * `version-hint.text`. The hint may lag by a version, which readers tolerate (Java probes forward).
 */
import type { BlobStore } from "../blob_store.ts";
import type { TableSpec } from "../tables/schemas.ts";
import {
  addedEntries,
  checkDistinctPaths,
  type DeletePlan,
  type FileTotals,
  findCommit,
  type Operation,
  planDeletes,
  planNextMetadata,
  snapshotIdFrom,
  totalsOf,
} from "./commit_plan.ts";
import type { DataFile } from "./data_file.ts";
import { decodeManifest, encodeManifest, type ManifestEntry, type TablePlace } from "./manifest.ts";
import { encodeManifestList, type ManifestFile, summarizeManifest } from "./manifest_list.ts";
import {
  keyFromUri,
  metadataFileKey,
  metadataKey,
  tableLocation,
  tablePrefix,
  uriFromKey,
  versionHintKey,
} from "./paths.ts";
import {
  createTableMetadata,
  currentSnapshot,
  parseTableMetadata,
  serializeTableMetadata,
  type TableMetadata,
} from "./table_metadata.ts";
import { loadManifestList, loadManifests, locateCurrent } from "./table_reader.ts";
import {
  metadataVersionOf,
  metadataWithout,
  planExpiration,
  planExpiredFiles,
  planOldMetadata,
  type RetentionPolicy,
} from "./expire_plan.ts";
import { oldEnough, orphanCandidates } from "./orphan_plan.ts";
import { planManifestRewrite } from "./manifest_rewrite_plan.ts";
import {
  type CommitOptions,
  type CommitResult,
  type IcebergTableOptions,
  type OverwriteOptions,
  type SnapshotInfo,
  snapshotInfoOf,
} from "./table_types.ts";

/** The option and result types, re-exported for callers of IcebergTable. */
export type { CommitOptions, CommitResult, IcebergTableOptions, OverwriteOptions, SnapshotInfo };

/** What `expireSnapshots` did: `expired` lists the removed snapshot ids (strings, 63-bit). */
export interface ExpireResult {
  kind: "expired" | "noop" | "lost_race";
  version: number;
  expired: string[];
  filesDeleted: number;
}

interface Loaded {
  version: number;
  metadata: TableMetadata;
  uri: string;
  hintCurrent: boolean;
}

interface Staged {
  manifests: ManifestFile[];
  operation: Operation;
  added: FileTotals;
  removed: FileTotals;
}

const encoder = new TextEncoder();

/** One Iceberg table in a bucket: create, inspect and commit. */
export class IcebergTable {
  /** The table's location URI (`s3://bucket/warehouse/wiki/table`). */
  readonly location: string;
  /** The table's key prefix in the bucket. */
  readonly prefix: string;
  readonly #store: BlobStore;
  readonly #spec: TableSpec;
  readonly #randomBytes: (length: number) => Uint8Array;
  readonly #maxAttempts: number;

  constructor(store: BlobStore, options: IcebergTableOptions) {
    this.#store = store;
    this.#spec = options.spec;
    this.location = tableLocation(options.bucket, options.warehouse, options.spec.name);
    this.prefix = tablePrefix(options.warehouse, options.spec.name);
    this.#randomBytes = options.randomBytes ?? ((n) => crypto.getRandomValues(new Uint8Array(n)));
    this.#maxAttempts = options.maxAttempts ?? 5;
  }

  /** Creates v1 (no snapshots) unless the table exists; repairs a missing version hint. */
  async create(nowMs: number, tableUuid: string): Promise<{ created: boolean; version: number }> {
    const existing = await locateCurrent(this.#store, this.prefix);
    if (!existing) {
      const text = createTableMetadata(this.#spec, { location: this.location, tableUuid, nowMs });
      if (await this.#store.putIfAbsent(metadataKey(this.prefix, 1), encoder.encode(text))) {
        await this.#writeHint(1);
        return { created: true, version: 1 };
      }
    }
    const current = existing ?? await locateCurrent(this.#store, this.prefix);
    if (!current) throw new Error(`Table ${this.location}: v1 exists but cannot be read back`);
    if (!current.hintCurrent) await this.#writeHint(current.version);
    return { created: false, version: current.version };
  }

  /** The newest metadata version and its text, or null when the table does not exist. */
  async loadCurrent(): Promise<{ version: number; metadataText: string } | null> {
    const current = await locateCurrent(this.#store, this.prefix);
    return current && { version: current.version, metadataText: current.metadataText };
  }

  /** The parsed current metadata, or null when the table does not exist. */
  async metadata(): Promise<TableMetadata | null> {
    return (await this.#load())?.metadata ?? null;
  }

  /** Whether a snapshot of the table carries `commitId`. */
  async hasCommit(commitId: string): Promise<boolean> {
    const loaded = await this.#load();
    return loaded !== null && findCommit(loaded.metadata, commitId) !== undefined;
  }

  /** Fast-appends `files` in one snapshot; no files, no snapshot. */
  async append(files: DataFile[], options: CommitOptions): Promise<CommitResult> {
    if (!files.length) return { kind: "noop" };
    checkDistinctPaths(files);
    const snapshotId = options.snapshotId ?? snapshotIdFrom(this.#randomBytes(8));
    let added: ManifestFile | null = null;
    return this.#commit(options, snapshotId, async (current, sequenceNumber) => {
      added ??= await this.#writeManifest(
        addedEntries(files, snapshotId),
        `${options.commitId}-${snapshotId}-m0.avro`,
        {
          snapshotId,
          sequenceNumber,
        },
      );
      // The manifest's ADDED entries inherit the sequence number, so only the list changes on a retry.
      const manifest = { ...added, sequence_number: sequenceNumber, min_sequence_number: sequenceNumber };
      const parent = currentSnapshot(current.metadata);
      const previous = parent ? await loadManifestList(this.#store, this.#place(), parent) : [];
      return {
        manifests: [manifest, ...previous],
        operation: "append",
        added: totalsOf(files),
        removed: totalsOf([]),
      };
    });
  }

  /** Adds `added` and deletes `deletePaths` in one snapshot (operation overwrite, delete or replace). */
  async overwrite(options: OverwriteOptions): Promise<CommitResult> {
    const { added, deletePaths } = options;
    if (!added.length && !deletePaths.length) return { kind: "noop" };
    checkDistinctPaths(added);
    const snapshotId = options.snapshotId ?? snapshotIdFrom(this.#randomBytes(8));
    return this.#commit(options, snapshotId, async (current, sequenceNumber, attempt) => {
      const plan: DeletePlan = planDeletes(await this.#parentManifests(current), deletePaths, snapshotId);
      const name = (k: number) => `${options.commitId}-${snapshotId}-a${attempt}-m${k}.avro`;
      const manifests: ManifestFile[] = [];
      if (added.length) {
        manifests.push(
          await this.#writeManifest(addedEntries(added, snapshotId), name(0), { snapshotId, sequenceNumber }),
        );
      }
      for (const [i, entries] of plan.rewritten.entries()) {
        manifests.push(await this.#writeManifest(entries, name(i + 1), { snapshotId, sequenceNumber }));
      }
      const removed = totalsOf(plan.removed);
      const operation = options.operation ?? (added.length ? "overwrite" : "delete");
      if (operation === "replace" && removed.records !== totalsOf(added).records) {
        throw new RangeError(
          `A replace must keep the row count: adds ${totalsOf(added).records}, removes ${removed.records}`,
        );
      }
      return { manifests: [...manifests, ...plan.kept], operation, added: totalsOf(added), removed };
    });
  }

  /**
   * Rewrites the current snapshot's manifests into few, clustered by partition day (see
   * manifest_rewrite_plan.ts), as a `replace` snapshot that adds and deletes no data file;
   * no snapshot when it would not reduce the manifest count.
   */
  async rewriteManifests(options: CommitOptions & { maxEntries?: number }): Promise<CommitResult> {
    const loaded = await this.#load();
    if (!loaded || !planManifestRewrite(await this.#parentManifests(loaded), options.maxEntries)) {
      return { kind: "noop" };
    }
    const snapshotId = options.snapshotId ?? snapshotIdFrom(this.#randomBytes(8));
    return this.#commit(options, snapshotId, async (current, sequenceNumber, attempt) => {
      const groups = planManifestRewrite(await this.#parentManifests(current), options.maxEntries) ?? [];
      const manifests: ManifestFile[] = [];
      for (const [i, entries] of groups.entries()) {
        const name = `${options.commitId}-${snapshotId}-a${attempt}-m${i}.avro`;
        manifests.push(await this.#writeManifest(entries, name, { snapshotId, sequenceNumber }));
      }
      return { manifests, operation: "replace", added: totalsOf([]), removed: totalsOf([]) };
    });
  }

  /** The data files of the current snapshot. */
  async liveFiles(): Promise<DataFile[]> {
    const loaded = await this.#load();
    const manifests = loaded ? await this.#parentManifests(loaded) : [];
    return manifests.flatMap((m) => m.entries.filter((e) => e.status !== 2).map((e) => e.file));
  }

  /** The current snapshot's id, live data files, their bytes and its manifests. */
  async counts(): Promise<{ snapshotId: string | null; files: number; bytes: number; manifests: number }> {
    const loaded = await this.#load();
    const snapshot = loaded ? currentSnapshot(loaded.metadata) : undefined;
    if (!snapshot) return { snapshotId: null, files: 0, bytes: 0, manifests: 0 };
    return {
      snapshotId: snapshot["snapshot-id"].toString(),
      files: Number(snapshot.summary["total-data-files"] ?? 0),
      bytes: Number(snapshot.summary["total-files-size"] ?? 0),
      manifests: (await loadManifestList(this.#store, this.#place(), snapshot)).length,
    };
  }

  /** Every snapshot, oldest first (JSON-safe). */
  async snapshots(): Promise<SnapshotInfo[]> {
    return ((await this.#load())?.metadata.snapshots ?? []).map(snapshotInfoOf);
  }

  /**
   * Expires snapshots under `policy` (see expire_plan.ts): commits `v<N+1>` without them
   * (create-if-absent, so it loses cleanly to a concurrent writer), then deletes the manifest
   * lists, manifests and data files only they reached, and the metadata versions that left the
   * metadata-log. A crash after the commit leaves only unreferenced files (orphans).
   */
  async expireSnapshots(policy: RetentionPolicy): Promise<ExpireResult> {
    const current = await this.#load();
    if (!current) throw new Error(`Table ${this.location} does not exist: create() it first`);
    const { kept, expired } = planExpiration(current.metadata, policy);
    const present = (await this.#store.list(`${this.prefix}/metadata/v`))
      .map(metadataVersionOf).filter((v): v is number => v !== null);
    if (!expired.length) {
      const old = planOldMetadata(current.metadata, present);
      await this.#store.delete(old.map((v) => metadataKey(this.prefix, v)));
      return {
        kind: old.length ? "expired" : "noop",
        version: current.version,
        expired: [],
        filesDeleted: old.length,
      };
    }
    const manifestsOf = async (snapshots: typeof kept) => {
      const unique = new Map<string, ManifestFile>();
      for (const s of snapshots) {
        for (const m of await loadManifestList(this.#store, this.#place(), s)) unique.set(m.manifest_path, m);
      }
      return [...unique.values()];
    };
    const keptFiles = await manifestsOf(kept);
    const keptPaths = new Set(keptFiles.map((m) => m.manifest_path));
    const expiredFiles = (await manifestsOf(expired)).filter((m) => !keptPaths.has(m.manifest_path));
    // At most 6 reads at a time (a Worker's simultaneous-connection limit): a day of streaming
    // appends expires ≈ 1,000 manifests, and reading them all at once broke the local R2 socket
    // in the 1 M-row maintenance bench.
    const withEntries = async (files: ManifestFile[]) => {
      const read = async (file: ManifestFile) => ({
        file,
        entries: await decodeManifest(
          (await this.#store.get(keyFromUri(this.location, this.prefix, file.manifest_path)))!,
          this.#place(),
        ),
      });
      const out = [];
      for (let i = 0; i < files.length; i += 6) {
        out.push(...await Promise.all(files.slice(i, i + 6).map(read)));
      }
      return out;
    };
    const plan = planExpiredFiles({
      expired,
      kept,
      expiredManifests: await withEntries(expiredFiles),
      keptManifests: await withEntries(keptFiles),
    });
    const next = metadataWithout(
      current.metadata,
      current.uri,
      new Set(expired.map((s) => s["snapshot-id"])),
      policy.nowMs,
    );
    const version = current.version + 1;
    if (
      !await this.#store.putIfAbsent(
        metadataKey(this.prefix, version),
        encoder.encode(serializeTableMetadata(next)),
      )
    ) {
      return { kind: "lost_race", version: current.version, expired: [], filesDeleted: 0 };
    }
    await this.#writeHint(version);
    const keys = [...plan.manifestLists, ...plan.manifests, ...plan.dataFiles]
      .map((uri) => keyFromUri(this.location, this.prefix, uri))
      .concat(planOldMetadata(next, present).map((v) => metadataKey(this.prefix, v)));
    for (let i = 0; i < keys.length; i += 1000) await this.#store.delete(keys.slice(i, i + 1000));
    return {
      kind: "expired",
      version,
      expired: expired.map((s) => s["snapshot-id"].toString()),
      filesDeleted: keys.length,
    };
  }

  /**
   * Deletes orphans (see orphan_plan.ts): lists the table's objects first, then loads the
   * current metadata, so a file committed in between counts as referenced; `protectedKeys`
   * (the committer's staged files) are never touched, nor anything younger than `minAgeMs`.
   */
  async removeOrphans(options: {
    nowMs: number;
    minAgeMs: number;
    protectedKeys?: Iterable<string>;
  }): Promise<{ deleted: string[]; tooYoung: number }> {
    const listed = await this.#store.list(`${this.prefix}/`);
    const current = await this.#load();
    if (!current) return { deleted: [], tooYoung: 0 };
    const referenced = new Set<string>();
    const key = (uri: string) => keyFromUri(this.location, this.prefix, uri);
    const manifestPaths = new Set<string>();
    for (const snapshot of current.metadata.snapshots) {
      referenced.add(key(snapshot["manifest-list"]));
      for (const m of await loadManifestList(this.#store, this.#place(), snapshot)) {
        manifestPaths.add(m.manifest_path);
      }
    }
    for (const path of manifestPaths) {
      referenced.add(key(path));
      const bytes = await this.#store.get(key(path));
      if (!bytes) throw new Error(`Manifest ${path} of a kept snapshot is missing`);
      for (const e of await decodeManifest(bytes, this.#place())) referenced.add(key(e.file.path));
    }
    const candidates = orphanCandidates(
      this.prefix,
      listed,
      referenced,
      new Set(options.protectedKeys ?? []),
    );
    const deleted: string[] = [];
    for (const candidate of candidates) {
      const uploaded = this.#store.uploadedMs ? await this.#store.uploadedMs(candidate) : null;
      if (oldEnough(uploaded, options.nowMs, options.minAgeMs)) deleted.push(candidate);
    }
    for (let i = 0; i < deleted.length; i += 1000) await this.#store.delete(deleted.slice(i, i + 1000));
    return { deleted, tooYoung: candidates.length - deleted.length };
  }

  async #commit(
    options: CommitOptions,
    snapshotId: bigint,
    stage: (current: Loaded, sequenceNumber: number, attempt: number) => Promise<Staged>,
  ): Promise<CommitResult> {
    if (!/^[A-Za-z0-9._-]{1,128}$/.test(options.commitId)) {
      throw new RangeError(`Commit id must be 1-128 characters of [A-Za-z0-9._-], got "${options.commitId}"`);
    }
    if (!Number.isSafeInteger(options.nowMs)) {
      throw new RangeError(`nowMs must be integer epoch ms, got ${options.nowMs}`);
    }
    for (let attempt = 1; attempt <= this.#maxAttempts; attempt++) {
      const current = await this.#load();
      if (!current) throw new Error(`Table ${this.location} does not exist: create() it first`);
      const done = findCommit(current.metadata, options.commitId);
      if (done) {
        if (!current.hintCurrent) await this.#writeHint(current.version); // it crashed before the hint
        return {
          kind: "already_committed",
          version: current.version,
          snapshotId: done["snapshot-id"],
          sequenceNumber: done["sequence-number"],
        };
      }
      const sequenceNumber = current.metadata["last-sequence-number"] + 1;
      const staged = await stage(current, sequenceNumber, attempt);
      const listKey = metadataFileKey(this.prefix, `snap-${snapshotId}-${attempt}-${options.commitId}.avro`);
      const parent = currentSnapshot(current.metadata);
      await this.#store.put(
        listKey,
        await encodeManifestList(staged.manifests, {
          snapshotId,
          parentSnapshotId: parent?.["snapshot-id"] ?? null,
          sequenceNumber,
        }),
      );
      const next = planNextMetadata(current.metadata, current.uri, {
        snapshotId,
        commitId: options.commitId,
        nowMs: options.nowMs,
        operation: staged.operation,
        manifestListUri: this.#uri(listKey),
        added: staged.added,
        removed: staged.removed,
      });
      const version = current.version + 1;
      if (
        await this.#store.putIfAbsent(
          metadataKey(this.prefix, version),
          encoder.encode(serializeTableMetadata(next)),
        )
      ) {
        await this.#writeHint(version);
        return { kind: "committed", version, snapshotId, sequenceNumber, attempts: attempt };
      }
    }
    throw new Error(
      `Commit ${options.commitId} to ${this.location} lost ${this.#maxAttempts} races to other writers`,
    );
  }

  async #load(): Promise<Loaded | null> {
    const current = await locateCurrent(this.#store, this.prefix);
    if (!current) return null;
    const metadata = parseTableMetadata(current.metadataText);
    if (metadata.location !== this.location) {
      throw new Error(
        `Metadata v${current.version} has location ${metadata.location}, expected ${this.location}`,
      );
    }
    const uri = this.#uri(metadataKey(this.prefix, current.version));
    return { version: current.version, metadata, uri, hintCurrent: current.hintCurrent };
  }

  async #parentManifests(current: Loaded) {
    const parent = currentSnapshot(current.metadata);
    return parent ? await loadManifests(this.#store, this.#place(), parent) : [];
  }

  async #writeManifest(
    entries: ManifestEntry[],
    fileName: string,
    at: { snapshotId: bigint; sequenceNumber: number },
  ): Promise<ManifestFile> {
    const key = metadataFileKey(this.prefix, fileName);
    const bytes = await encodeManifest(this.#spec, entries);
    await this.#store.put(key, bytes);
    return summarizeManifest(entries, { path: this.#uri(key), length: bytes.length, ...at });
  }

  #writeHint(version: number): Promise<void> {
    return this.#store.put(versionHintKey(this.prefix), encoder.encode(String(version)));
  }

  #uri(key: string): string {
    return uriFromKey(this.location, this.prefix, key);
  }

  #place(): TablePlace {
    return { location: this.location, prefix: this.prefix };
  }
}
