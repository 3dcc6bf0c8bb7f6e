/**
 * The commit protocol of IcebergTable: idempotent retries by commit id, crash recovery, races
 * between writers (create-if-absent of v<N+1>), bounded retries, overwrite/replace/delete, and
 * the version lookup through version-hint.text and listing.
 */
import { beforeAll, describe, it } from "vitest";
import type { BlobStore } from "../blob_store.ts";
import { MemoryBlobStore } from "../memory_blob_store.ts";
import { HookedStore } from "../testing/hooked_store.ts";
import { initParquetNode } from "../parquet/parquet_node.ts";
import { BRONZE } from "../tables/schemas.ts";
import { writeDataFiles } from "../testing/lake_fixture.ts";
import { sampleRows } from "../testing/sample_rows.ts";
import { decodeManifest } from "./manifest.ts";
import { decodeManifestList } from "./manifest_list.ts";
import { parseTableMetadata } from "./table_metadata.ts";
import { IcebergTable } from "./table_writer.ts";

const UUID = "0b7e3f4c-2d1a-4e5f-8a9b-1c2d3e4f5a6b";
const DAY = Date.UTC(2025, 0, 1);
const text = (b: Uint8Array | null) => (b ? new TextDecoder().decode(b) : null);

async function newTable(
  store: BlobStore = new MemoryBlobStore(),
  options: Partial<{ maxAttempts: number }> = {},
) {
  const table = new IcebergTable(store, { spec: BRONZE, bucket: "b", warehouse: "wh", ...options });
  await table.create(DAY, UUID);
  return { store, table };
}

async function files(store: BlobStore, table: IcebergTable, tag: string, days = [DAY]) {
  const rows = days.flatMap((d) => sampleRows(BRONZE, 4, d, `${tag}-${d}`));
  return (await writeDataFiles(store, table, BRONZE, rows, tag)).map((w) => w.file);
}

beforeAll(() => initParquetNode());

describe("IcebergTable commits", () => {
  it("create() is idempotent and keeps the first table uuid", async ({ expect }) => {
    const { store, table } = await newTable();
    expect(await table.create(DAY + 1, "11111111-2222-4333-8444-555555555555")).toEqual({
      created: false,
      version: 1,
    });
    expect((await table.metadata())!["table-uuid"]).toBe(UUID);
    expect(text(await store.get("wh/wiki/bronze_wiki_events/metadata/version-hint.text"))).toBe("1");
  });

  it("append() on a table that was never created fails naming the table", async ({ expect }) => {
    const table = new IcebergTable(new MemoryBlobStore(), { spec: BRONZE, bucket: "b", warehouse: "wh" });
    await expect(table.append(await files(new MemoryBlobStore(), table, "x"), { commitId: "c", nowMs: DAY }))
      .rejects.toThrow("Table s3://b/wh/wiki/bronze_wiki_events does not exist: create() it first");
  });

  it("a commit without files creates no snapshot", async ({ expect }) => {
    const { table } = await newTable();
    expect(await table.append([], { commitId: "empty", nowMs: DAY })).toEqual({ kind: "noop" });
    expect(await table.overwrite({ added: [], deletePaths: [], commitId: "e2", nowMs: DAY })).toEqual({
      kind: "noop",
    });
    expect((await table.loadCurrent())!.version).toBe(1);
    expect(await table.snapshots()).toEqual([]);
  });

  it("retrying a commit id that already landed writes nothing and returns its snapshot", async ({ expect }) => {
    const { store, table } = await newTable();
    const first = await table.append(await files(store, table, "a"), { commitId: "c1", nowMs: DAY });
    expect(first).toMatchObject({ kind: "committed", version: 2, sequenceNumber: 1, attempts: 1 });
    const before = await store.list("");
    const again = await table.append(await files(store, table, "a"), { commitId: "c1", nowMs: DAY + 5 });
    expect(again).toEqual({
      kind: "already_committed",
      version: 2,
      snapshotId: first.kind === "committed" && first.snapshotId,
      sequenceNumber: 1,
    });
    expect(await store.list("")).toEqual(before);
    expect(await table.hasCommit("c1")).toBe(true);
    expect(await table.hasCommit("c2")).toBe(false);
  });

  it("a commit that crashed after its metadata landed is recognised and its stale hint repaired", async ({ expect }) => {
    const { store } = await newTable();
    const failing = new IcebergTable(
      new HookedStore(store, {
        put: (key) => {
          if (key.endsWith("version-hint.text")) throw new Error("crash before the hint");
        },
      }),
      { spec: BRONZE, bucket: "b", warehouse: "wh" },
    );
    const batch = await files(store, failing, "a");
    await expect(failing.append(batch, { commitId: "c1", nowMs: DAY })).rejects.toThrow(
      "crash before the hint",
    );
    const hintKey = "wh/wiki/bronze_wiki_events/metadata/version-hint.text";
    expect(text(await store.get(hintKey))).toBe("1");
    const table = new IcebergTable(store, { spec: BRONZE, bucket: "b", warehouse: "wh" });
    expect((await table.loadCurrent())!.version).toBe(2); // probes past the stale hint, like Java
    expect(await table.append(batch, { commitId: "c1", nowMs: DAY })).toMatchObject({
      kind: "already_committed",
      version: 2,
    });
    expect(text(await store.get(hintKey))).toBe("2");
  });

  it("gives up after maxAttempts when another writer takes every commit point", async ({ expect }) => {
    const { store } = await newTable();
    let attempts = 0;
    const hooked = new HookedStore(store, {
      putIfAbsent: (key) => (key.endsWith(".metadata.json") ? (attempts++, false) : undefined),
    });
    const table = new IcebergTable(hooked, { spec: BRONZE, bucket: "b", warehouse: "wh", maxAttempts: 3 });
    await expect(table.append(await files(store, table, "a"), { commitId: "c1", nowMs: DAY }))
      .rejects.toThrow("Commit c1 to s3://b/wh/wiki/bronze_wiki_events lost 3 races to other writers");
    expect(attempts).toBe(3);
  });

  it("rejects commit ids that cannot be part of a file name", async ({ expect }) => {
    const { store, table } = await newTable();
    await expect(table.append(await files(store, table, "a"), { commitId: "a/b", nowMs: DAY }))
      .rejects.toThrow('Commit id must be 1-128 characters of [A-Za-z0-9._-], got "a/b"');
  });

  it("takes snapshot ids from the injected random source (positive 63-bit)", async ({ expect }) => {
    const store = new MemoryBlobStore();
    const table = new IcebergTable(store, {
      spec: BRONZE,
      bucket: "b",
      warehouse: "wh",
      randomBytes: (n) => new Uint8Array(n).fill(0xff),
    });
    await table.create(DAY, UUID);
    const result = await table.append(await files(store, table, "a"), { commitId: "c1", nowMs: DAY });
    expect(result).toMatchObject({ snapshotId: 2n ** 63n - 1n });
    const metadataText = (await table.loadCurrent())!.metadataText;
    expect(metadataText).toContain('"current-snapshot-id":9223372036854775807');
  });

  it("overwrite marks deleted entries 2 and survivors 0, both with explicit sequence numbers", async ({ expect }) => {
    const { store, table } = await newTable();
    const first = await files(store, table, "a", [DAY, DAY + 86_400_000]);
    await table.append(first, { commitId: "c1", nowMs: DAY });
    await table.append(await files(store, table, "b"), { commitId: "c2", nowMs: DAY });
    const result = await table.overwrite({
      added: [],
      deletePaths: [first[0].path],
      commitId: "c3",
      nowMs: DAY,
    });
    expect(result).toMatchObject({ kind: "committed", sequenceNumber: 3 });
    const metadata = (await table.metadata())!;
    const snapshot = metadata.snapshots.at(-1)!;
    expect(snapshot.summary).toMatchObject({
      operation: "delete",
      "deleted-data-files": "1",
      "total-data-files": "2",
    });
    const place = { location: table.location, prefix: table.prefix };
    const key = (uri: string) => table.prefix + uri.slice(table.location.length);
    const list = await decodeManifestList((await store.get(key(snapshot["manifest-list"])))!);
    expect(list.map((m) => [m.added_files_count, m.existing_files_count, m.deleted_files_count])).toEqual([[
      0,
      1,
      1,
    ], [1, 0, 0]]);
    expect(list.map((m) => m.sequence_number)).toEqual([3, 2]);
    const entries = await decodeManifest((await store.get(key(list[0].manifest_path)))!, place);
    expect(entries.map((e) => [e.status, e.sequence_number, e.file_sequence_number, e.file.path])).toEqual([
      [2, 1, 1, first[0].path],
      [0, 1, 1, first[1].path],
    ]);
    expect(entries[0].snapshot_id).toBe(result.kind === "committed" && result.snapshotId);
    expect((await table.liveFiles()).map((f) => f.path)).not.toContain(first[0].path);
  });

  it("overwrite refuses to delete a file that is not live and leaves the table unchanged", async ({ expect }) => {
    const { store, table } = await newTable();
    await table.append(await files(store, table, "a"), { commitId: "c1", nowMs: DAY });
    await expect(
      table.overwrite({
        added: [],
        deletePaths: ["s3://b/wh/wiki/bronze_wiki_events/data/nope.parquet"],
        commitId: "c2",
        nowMs: DAY,
      }),
    )
      .rejects.toThrow(
        "Cannot delete files that are not live in the table: s3://b/wh/wiki/bronze_wiki_events/data/nope.parquet",
      );
    expect((await table.loadCurrent())!.version).toBe(2);
  });

  it("a replace must keep the row count", async ({ expect }) => {
    const { store, table } = await newTable();
    const batch = await files(store, table, "a");
    await table.append(batch, { commitId: "c1", nowMs: DAY });
    const more = await files(store, table, "b", [DAY, DAY + 86_400_000]);
    await expect(
      table.overwrite({
        added: more,
        deletePaths: [batch[0].path],
        commitId: "c2",
        nowMs: DAY,
        operation: "replace",
      }),
    )
      .rejects.toThrow("A replace must keep the row count: adds 8, removes 4");
  });

  it("finds the newest version without a hint by listing (v10 sorts after v9)", async ({ expect }) => {
    const { store, table } = await newTable();
    for (let i = 0; i < 10; i++) {
      await table.append(await files(store, table, `f${i}`), { commitId: `c${i}`, nowMs: DAY + i });
    }
    await store.delete(["wh/wiki/bronze_wiki_events/metadata/version-hint.text"]);
    const current = (await table.loadCurrent())!;
    expect(current.version).toBe(11);
    expect(parseTableMetadata(current.metadataText)["last-sequence-number"]).toBe(10);
    expect(await table.create(DAY, UUID)).toEqual({ created: false, version: 11 });
    expect(text(await store.get("wh/wiki/bronze_wiki_events/metadata/version-hint.text"))).toBe("11");
  });

  it("snapshots() are JSON-safe with ids as exact strings", async ({ expect }) => {
    const { store, table } = await newTable();
    const result = await table.append(await files(store, table, "a"), {
      commitId: "c1",
      nowMs: DAY,
      snapshotId: 2n ** 62n + 7n,
    });
    expect(result).toMatchObject({ snapshotId: 2n ** 62n + 7n });
    const snapshots = JSON.parse(JSON.stringify(await table.snapshots()));
    expect(snapshots).toEqual([
      expect.objectContaining({
        snapshot_id: "4611686018427387911",
        parent_snapshot_id: null,
        operation: "append",
      }),
    ]);
  });
});
