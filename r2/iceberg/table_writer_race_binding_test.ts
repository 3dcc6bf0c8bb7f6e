/**
 * Fault 5 of issue 6 on the real local R2 binding (workerd): two writers commit to one table at
 * the same moment — two appends, then a consumer's append against a compaction, then two
 * TableCommitter objects held behind a barrier at their create-if-absent of the same next
 * metadata version. Both commits land in order (the loser of R2's create-if-absent reloads and
 * retries, seen in the outcomes), versions have no gaps, and the table is valid after every step.
 */
import { env } from "cloudflare:workers";
import wasm from "parquet-wasm/esm/parquet_wasm_bg.wasm";
import { beforeAll, describe, expect, it, vi } from "vitest";
import type { BlobStore } from "../blob_store.ts";
import { R2BlobStore } from "../r2_blob_store_binding.ts";
import { initParquet } from "../parquet/parquet_writer.ts";
import { BRONZE, SILVER } from "../tables/schemas.ts";
import { HookedStore } from "../testing/hooked_store.ts";
import { writeDataFiles } from "../testing/lake_fixture.ts";
import { sampleRows } from "../testing/sample_rows.ts";
import { auditTable, bronzeKey, silverKey } from "../testing/table_audit.ts";
import { committerName } from "../../durable-objects/table_committer/committer_core.ts";
import { IcebergTable } from "./table_writer.ts";

const DAY = Date.UTC(2026, 4, 1);
const r2 = new R2BlobStore(env.LAKE);

beforeAll(() => initParquet(wasm));

/** A store whose create-if-absent of `v<version>.metadata.json` waits until `parties` writers reached it. */
function raceAt(inner: BlobStore, version: number, parties = 2): BlobStore {
  let waiting: (() => void)[] = [];
  return new HookedStore(inner, {
    putIfAbsent: (key) => {
      if (!key.endsWith(`/v${version}.metadata.json`)) return undefined;
      return new Promise<undefined>((resolve) => {
        waiting.push(() => resolve(undefined));
        if (waiting.length === parties) (waiting.forEach((go) => go()), waiting = []);
      });
    },
  });
}

const keysOf = (rows: unknown[]) => rows.map((r) => silverKey(r as Record<string, unknown>)).sort();
const attemptsOf = (results: { kind: string; attempts?: number }[]) => results.map((r) => r.attempts).sort();

describe("IcebergTable with two writers on the R2 binding", () => {
  it("lands racing appends, then an append racing a compaction, valid after every step", async () => {
    const options = { spec: SILVER, bucket: env.LAKE_BUCKET_NAME, warehouse: `race-${crypto.randomUUID()}` };
    const plain = new IcebergTable(r2, options);
    expect(await plain.create(DAY, crypto.randomUUID())).toEqual({ created: true, version: 1 });
    expect((await auditTable(r2, plain, silverKey)).problems).toEqual([]);

    const rowsA = sampleRows(SILVER, 6, DAY, "a");
    const rowsB = sampleRows(SILVER, 8, DAY, "b");
    const filesA = (await writeDataFiles(r2, plain, SILVER, rowsA, "a")).map((w) => w.file);
    const filesB = (await writeDataFiles(r2, plain, SILVER, rowsB, "b")).map((w) => w.file);
    const at2 = raceAt(r2, 2);
    const appends = await Promise.all([
      new IcebergTable(at2, options).append(filesA, { commitId: "writer-a", nowMs: DAY }),
      new IcebergTable(at2, options).append(filesB, { commitId: "writer-b", nowMs: DAY }),
    ]);
    expect(appends.map((r) => r.kind)).toEqual(["committed", "committed"]);
    expect(attemptsOf(appends)).toEqual([1, 2]);
    const step2 = await auditTable(r2, plain, silverKey);
    expect(step2.problems).toEqual([]);
    expect(step2.versions).toEqual([1, 2, 3]);
    expect(step2.keys.sort()).toEqual(keysOf([...rowsA, ...rowsB]));

    // A consumer appends C while maintenance compacts A and B into one file.
    const rowsC = sampleRows(SILVER, 5, DAY, "c");
    const filesC = (await writeDataFiles(r2, plain, SILVER, rowsC, "c")).map((w) => w.file);
    const merged = (await writeDataFiles(r2, plain, SILVER, [...rowsA, ...rowsB], "ab")).map((w) => w.file);
    const at4 = raceAt(r2, 4);
    const [append, compaction] = await Promise.all([
      new IcebergTable(at4, options).append(filesC, { commitId: "writer-c", nowMs: DAY }),
      new IcebergTable(at4, options).overwrite({
        added: merged,
        deletePaths: [...filesA, ...filesB].map((f) => f.path),
        commitId: "compaction-ab",
        nowMs: DAY,
        operation: "replace",
      }),
    ]);
    expect([append.kind, compaction.kind]).toEqual(["committed", "committed"]);
    expect(attemptsOf([append, compaction])).toEqual([1, 2]);
    const step3 = await auditTable(r2, plain, silverKey);
    expect(step3.problems).toEqual([]);
    expect(step3.versions).toEqual([1, 2, 3, 4, 5]);
    expect(step3.files.map((f) => f.key).sort()).toEqual([...merged, ...filesC].map((f) => f.key).sort());
    expect(step3.keys.sort()).toEqual(keysOf([...rowsA, ...rowsB, ...rowsC]));
    expect((await plain.snapshots()).at(-1)?.summary["total-records"]).toBe("19");

    // The writer that lost retries the very same commit later: recognised by its id, nothing added.
    expect(await plain.append(filesC, { commitId: "writer-c", nowMs: DAY })).toMatchObject({
      kind: "already_committed",
      version: 5,
    });
    expect((await auditTable(r2, plain, silverKey)).versions).toEqual([1, 2, 3, 4, 5]);
  });

  it("lands the commits of two TableCommitter objects that commit at once: one loses the create-if-absent and retries", async () => {
    const table = new IcebergTable(r2, {
      spec: BRONZE,
      bucket: env.LAKE_BUCKET_NAME,
      warehouse: env.WAREHOUSE,
    });
    const [first, second] = [
      env.TABLE_COMMITTER.getByName(committerName(BRONZE.name)),
      env.TABLE_COMMITTER.getByName("race-maintenance"),
    ];
    await table.create(Date.now(), crypto.randomUUID());
    const before = await auditTable(r2, table, bronzeKey);
    expect(before.problems).toEqual([]);
    const stageFrom = async (committer: typeof first, tag: string, count: number) => {
      const rows = sampleRows(BRONZE, count, DAY, tag);
      const files = (await writeDataFiles(r2, table, BRONZE, rows, tag)).map((w) => w.file);
      const staged = await committer.stage({
        table: BRONZE.name,
        stageId: tag,
        owners: [tag],
        files,
        rows: count,
        duplicates: 0,
      });
      expect(staged).toEqual({ ok: true });
      return rows;
    };
    const rowsFirst = await stageFrom(first, "consumer", 7);
    const rowsSecond = await stageFrom(second, "maintenance", 4);
    // The barrier: each committer's create-if-absent of the next metadata version waits until
    // both reached it (both read the same current version), then both go to R2 at once. The
    // Durable Objects run in this isolate, so they use this R2BlobStore class.
    const next = `/v${before.versions.at(-1)! + 1}.metadata.json`;
    const outcomes: { key: string; won: boolean }[] = [];
    const realPutIfAbsent = R2BlobStore.prototype.putIfAbsent;
    // Each party polls a plain counter on its own timers: a promise resolver may not cross
    // from one Durable Object's I/O context into another's.
    let arrived = 0;
    const spy = vi.spyOn(R2BlobStore.prototype, "putIfAbsent").mockImplementation(
      async function (this: R2BlobStore, key: string, bytes: Uint8Array) {
        const isMetadata = key.startsWith(table.prefix) && /\/v\d+\.metadata\.json$/.test(key);
        if (isMetadata && key.endsWith(next)) {
          arrived++;
          // Never hang: a missing party fails the assertions below.
          const deadline = Date.now() + 15_000;
          while (arrived < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
        }
        const won = await realPutIfAbsent.call(this, key, bytes);
        if (isMetadata) outcomes.push({ key: key.slice(key.lastIndexOf("/") + 1), won });
        return won;
      },
    );
    let statuses;
    try {
      statuses = await Promise.all([first.commitNow(), second.commitNow()]);
    } finally {
      spy.mockRestore();
    }
    const base = before.versions.at(-1)!;
    // Both tried v(N+1) at once, exactly one won; the loser reloaded and landed v(N+2).
    expect(outcomes).toEqual([
      { key: `v${base + 1}.metadata.json`, won: true },
      { key: `v${base + 1}.metadata.json`, won: false },
      { key: `v${base + 2}.metadata.json`, won: true },
    ]);
    expect(statuses.map((s) => s.version ?? 0).sort((x, y) => x - y)).toEqual([base + 1, base + 2]);
    const after = await auditTable(r2, table, bronzeKey);
    expect(after.problems).toEqual([]);
    expect(after.versions.length - before.versions.length).toBe(2);
    expect(after.keys.filter((k) => !before.keys.includes(k)).sort()).toEqual(
      [...rowsFirst, ...rowsSecond].map((r) => bronzeKey(r as unknown as Record<string, unknown>)).sort(),
    );
  });
});
