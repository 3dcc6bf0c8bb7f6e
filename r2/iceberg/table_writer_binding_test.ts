/**
 * IcebergTable inside workerd on the local R2 binding: Parquet through parquet-wasm, Avro
 * manifests through avsc (Buffer from nodejs_compat) and deflate through CompressionStream,
 * committed with R2's create-if-absent and read back.
 */
import { env } from "cloudflare:workers";
import wasm from "parquet-wasm/esm/parquet_wasm_bg.wasm";
import { describe, it } from "vitest";
import { R2BlobStore } from "../r2_blob_store_binding.ts";
import { initParquet } from "../parquet/parquet_writer.ts";
import { BRONZE } from "../tables/schemas.ts";
import { writeDataFiles } from "../testing/lake_fixture.ts";
import { sampleRows } from "../testing/sample_rows.ts";
import { IcebergTable } from "./table_writer.ts";

describe("IcebergTable on the R2 binding (workerd)", () => {
  it("creates, appends, overwrites and reads back through R2", async ({ expect }) => {
    initParquet(wasm);
    const store = new R2BlobStore(env.LAKE);
    const warehouse = `binding-test-${Date.now()}`;
    const table = new IcebergTable(store, { spec: BRONZE, bucket: "lake", warehouse });
    expect(await table.create(Date.now(), crypto.randomUUID())).toEqual({ created: true, version: 1 });
    const day = Date.UTC(2025, 0, 1);
    const first = await writeDataFiles(store, table, BRONZE, sampleRows(BRONZE, 20, day, "a"), "a");
    const appended = await table.append(first.map((w) => w.file), { commitId: "c1", nowMs: Date.now() });
    expect(appended).toMatchObject({ kind: "committed", version: 2, attempts: 1 });
    expect(await table.append(first.map((w) => w.file), { commitId: "c1", nowMs: Date.now() }))
      .toMatchObject({ kind: "already_committed", version: 2 });
    const second = await writeDataFiles(
      store,
      table,
      BRONZE,
      sampleRows(BRONZE, 5, day - 86_400_000, "b"),
      "b",
    );
    const overwritten = await table.overwrite({
      added: second.map((w) => w.file),
      deletePaths: [first[0].file.path],
      commitId: "c2",
      nowMs: Date.now(),
    });
    expect(overwritten).toMatchObject({ kind: "committed", version: 3 });
    const live = await table.liveFiles();
    expect(live.map((f) => f.path)).toEqual(second.map((w) => w.file.path));
    expect(live[0].lower_bounds).toEqual(second[0].file.lower_bounds);
    const hint = await env.LAKE.get(`${table.prefix}/metadata/version-hint.text`);
    expect(await hint!.text()).toBe("3");
    const snapshots = await table.snapshots();
    expect(snapshots.map((s) => [s.operation, s.summary["total-records"]])).toEqual([["append", "20"], [
      "overwrite",
      "5",
    ]]);
  });
});
