/**
 * `npm run bench -- maintenance [--rows 1000000 --files 1000 --runs 3 --target-mb 64]`
 *
 * Compaction benchmark: writes `--rows` silver rows of one day partition as `--files` small
 * Parquet files (streaming-append sized, each covering its own slice of the day, plus one
 * commit) with the product's writer into a local R2 bucket (Miniflare, a separate workerd
 * process), then runs the product's streamed compaction (`compactTable`) in this process and
 * measures wall time, output files and memory. Memory is sampled every 5 ms and at every R2
 * call: peak of V8 heap used + external (Array buffers and parquet-wasm's linear memory) over
 * the value before the run, and peak process RSS over the RSS before the run. Median of
 * `--runs` runs, each on a fresh table; appended to bench/RESULTS.md.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { openLocalLake } from "../scripts/lib/local_lake.ts";
import { R2BlobStore, type R2BucketLike } from "../r2/r2_blob_store_binding.ts";
import type { BlobStore } from "../r2/blob_store.ts";
import { initParquetNode } from "../r2/parquet/parquet_node.ts";
import { IcebergTable } from "../r2/iceberg/table_writer.ts";
import { compactTable } from "../r2/iceberg/compaction.ts";
import { currentSnapshot } from "../r2/iceberg/table_metadata.ts";
import { SILVER } from "../r2/tables/schemas.ts";
import type { SilverRow } from "../r2/tables/rows.ts";
import { sampleRows } from "../r2/testing/sample_rows.ts";
import { writeDataFiles } from "../r2/testing/lake_fixture.ts";
import { appendResults, markdownTable, median } from "./lib/results.ts";

const { values } = parseArgs({
  options: {
    rows: { type: "string", default: "1000000" },
    files: { type: "string", default: "1000" },
    runs: { type: "string", default: "3" },
    "target-mb": { type: "string", default: "64" },
  },
});
const rows = bounded("rows", values.rows, 1_000, 5_000_000);
const files = bounded("files", values.files, 2, 10_000);
const runs = bounded("runs", values.runs, 1, 9);
const targetBytes = bounded("target-mb", values["target-mb"], 1, 1024) * 1024 * 1024;
const DAY = Date.UTC(2026, 10, 3);
const MB = 1024 * 1024;

function bounded(name: string, raw: string | undefined, min: number, max: number): number {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) {
    console.error(`--${name} must be an integer ${min}..${max}, got ${raw}`);
    process.exit(2);
  }
  return n;
}

setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;

/**
 * Peak memory while compaction runs, sampled on a timer and whenever `sample` is called: `heap`
 * with garbage (as sampled), `live` after a full GC at every 10th R2 call (what the run holds).
 */
class MemoryPeak {
  readonly base: NodeJS.MemoryUsage;
  heap = 0;
  live = 0;
  rss = 0;
  #count = 0;
  constructor() {
    gc();
    this.base = process.memoryUsage();
  }
  sample = (collect = true) => {
    let m = process.memoryUsage();
    const delta = (u: NodeJS.MemoryUsage) =>
      u.heapUsed + u.external - this.base.heapUsed - this.base.external;
    this.heap = Math.max(this.heap, delta(m));
    this.rss = Math.max(this.rss, m.rss - this.base.rss);
    if (collect && this.#count++ % 10 === 0) {
      gc();
      m = process.memoryUsage();
      this.live = Math.max(this.live, delta(m));
    }
  };
}

/** A BlobStore that samples memory on every call (compaction is busy between them). */
function sampled(inner: BlobStore, peak: MemoryPeak): BlobStore {
  const wrap = <T>(p: Promise<T>) => (peak.sample(), p.finally(() => peak.sample()));
  return {
    get: (k) => wrap(inner.get(k)),
    put: (k, b) => wrap(inner.put(k, b)),
    putIfAbsent: (k, b) => wrap(inner.putIfAbsent(k, b)),
    head: (k) => wrap(inner.head(k)),
    uploadedMs: (k) => wrap(inner.uploadedMs!(k)),
    list: (p) => wrap(inner.list(p)),
    delete: (k) => wrap(inner.delete(k)),
    createMultipart: async (k) => {
      const upload = await wrap(inner.createMultipart(k));
      return {
        uploadPart: (n, b) => wrap(upload.uploadPart(n, b)),
        complete: () => wrap(upload.complete()),
        abort: () => wrap(upload.abort()),
      };
    },
  };
}

async function buildTable(store: BlobStore, warehouse: string): Promise<IcebergTable> {
  const table = new IcebergTable(store, { spec: SILVER, bucket: "wikiflare-lake", warehouse });
  await table.create(DAY, crypto.randomUUID());
  const perFile = Math.ceil(rows / files);
  const span = Math.floor(86_400_000 / files);
  const written = [];
  for (let f = 0; f < files; f++) {
    const n = Math.min(perFile, rows - f * perFile);
    if (n <= 0) break;
    // A streaming append covers its own stretch of the day (rows in arrival order, not sorted).
    const batch = sampleRows(SILVER, n, DAY, `f${f}`).map((r, i) => ({
      ...(r as SilverRow),
      event_time: DAY + f * span + ((i * 7_919) % span),
    }));
    written.push(...(await writeDataFiles(store, table, SILVER, batch, `append-${f}`)).map((w) => w.file));
  }
  await table.append(written, { commitId: "bench-append", nowMs: DAY + 1 });
  return table;
}

await initParquetNode();
const persist = mkdtempSync(join(tmpdir(), "wikiflare-maint-bench-"));
const lake = await openLocalLake(persist, "wikiflare-lake", { create: true });
const r2 = new R2BlobStore(lake.bucket as unknown as R2BucketLike);
const results: Array<Record<string, number>> = [];
try {
  for (let run = 0; run < runs; run++) {
    const table = await buildTable(r2, `bench-${run}`);
    const before = await table.liveFiles();
    const peak = new MemoryPeak();
    const timer = setInterval(() => peak.sample(false), 5);
    const started = performance.now();
    const result = await compactTable(sampled(r2, peak), table, SILVER, {
      targetBytes,
      nowMs: DAY + 2,
      tag: `bench${run}`,
    });
    const ms = performance.now() - started;
    clearInterval(timer);
    peak.sample();
    const after = await table.liveFiles();
    const snapshot = currentSnapshot((await table.metadata())!)!;
    results.push({
      ms,
      filesBefore: before.length,
      filesAfter: after.length,
      bytesBefore: before.reduce((n, f) => n + f.file_size_in_bytes, 0),
      bytesAfter: after.reduce((n, f) => n + f.file_size_in_bytes, 0),
      maxOutput: Math.max(...result.outputs.map((f) => f.file_size_in_bytes)),
      records: Number(snapshot.summary["total-records"]),
      heap: peak.heap,
      live: peak.live,
      rss: peak.rss,
    });
    console.log(JSON.stringify({ run, ...results.at(-1) }));
  }
} finally {
  await lake.close();
  rmSync(persist, { recursive: true, force: true });
}
const med = (k: string) => median(results.map((r) => r[k]));
const table = markdownTable(
  [
    "rows",
    "input files",
    "input MB",
    "output files",
    "output MB",
    "largest output MB",
    "target MB",
    "compaction s (median)",
    "peak live heap+external Δ MB (median)",
    "peak heap+external Δ incl. garbage MB (median)",
    "peak RSS Δ MB (median)",
  ],
  [[
    String(med("records")),
    String(med("filesBefore")),
    (med("bytesBefore") / MB).toFixed(1),
    String(med("filesAfter")),
    (med("bytesAfter") / MB).toFixed(1),
    (med("maxOutput") / MB).toFixed(1),
    String(targetBytes / MB),
    (med("ms") / 1000).toFixed(1),
    (med("live") / MB).toFixed(1),
    (med("heap") / MB).toFixed(1),
    (med("rss") / MB).toFixed(1),
  ]],
);
appendResults("maintenance", table, [
  `One day partition of silver, ${rows} rows in ${files} files (one commit), compacted by compactTable with the default 20,000-row slices; ${runs} runs, each on a fresh table, runs: ${
    results.map((r) => `${(r.ms / 1000).toFixed(1)} s / live ${(r.live / MB).toFixed(1)} MB`).join(", ")
  }.`,
  "Compaction ran in the Node process against Miniflare's local R2 (a separate workerd process, not counted). Memory: V8 heapUsed + external (external holds Array buffers and parquet-wasm's WebAssembly memory) minus the value before the run (after a GC), sampled every 5 ms and at every R2 call. 'live' is the peak after a forced full GC at every 10th R2 call (what compaction holds; the forced GCs lengthen the wall time); 'incl. garbage' is the raw sampled peak — Node's large heap limit lets garbage pile up that a 128 MB isolate would collect. RSS Δ is the process RSS peak minus RSS before (wasm memory never shrinks). Not measured inside a deployed Worker isolate.",
  "Rows come from r2/testing/sample_rows.ts (short repeated strings: they compress better than real edits). The machine was shared with other helpers' builds and tests during the run.",
]);
