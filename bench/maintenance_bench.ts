/**
 * `npm run bench -- maintenance [--rows 1000000 --files 1000 --commits 1000 --runs 3 --target-mb 64]`
 *
 * Maintenance benchmark: writes `--rows` silver rows of one day partition as `--files` small
 * Parquet files (streaming-append sized, each covering its own slice of the day) with the
 * product's writer into a local R2 bucket (Miniflare, a separate workerd process), committed
 * as `--commits` fast appends spread over the day (one manifest and one snapshot each, as the
 * streaming committer makes them). Then it runs the cron's jobs in this process, in the cron's
 * order, the next day (24 h after the last append, so every append snapshot is past the default
 * `SNAPSHOT_MAX_AGE_HOURS`, 6 h, as it was past the former 24 h, and expiry keeps the newest
 * `SNAPSHOT_RETAIN_LAST` = 10):
 * the streamed compaction (`compactTable`), the manifest rewrite, snapshot expiry and orphan
 * removal (3 h floor). It measures each job's wall time, the live data files, manifests,
 * bytes, snapshots and the current `v<N>.metadata.json` size before and after, and the
 * compaction's memory: sampled every 5 ms and at every R2 call, peak of V8 heap used +
 * external (Array buffers and parquet-wasm's linear memory) over the value before the run, and
 * peak process RSS over the RSS before the run. Median of `--runs` runs, each on a fresh
 * table; appended to bench/RESULTS.md.
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
import { DEFAULT_SNAPSHOT_MAX_AGE_HOURS, DEFAULT_SNAPSHOT_RETAIN_LAST } from "../r2/iceberg/expire_plan.ts";
import { SILVER } from "../r2/tables/schemas.ts";
import type { SilverRow } from "../r2/tables/rows.ts";
import { sampleRows } from "../r2/testing/sample_rows.ts";
import { writeDataFiles } from "../r2/testing/lake_fixture.ts";
import { appendResults, markdownTable, median } from "./lib/results.ts";

const { values } = parseArgs({
  options: {
    rows: { type: "string", default: "1000000" },
    files: { type: "string", default: "1000" },
    commits: { type: "string" },
    runs: { type: "string", default: "3" },
    "target-mb": { type: "string", default: "64" },
  },
});
const rows = bounded("rows", values.rows, 1_000, 5_000_000);
const files = bounded("files", values.files, 2, 10_000);
const commits = bounded("commits", values.commits ?? String(files), 1, files);
const runs = bounded("runs", values.runs, 1, 9);
const targetBytes = bounded("target-mb", values["target-mb"], 1, 1024) * 1024 * 1024;
const DAY = Date.UTC(2026, 10, 3);
const MB = 1024 * 1024;
const HOUR = 3_600_000;
/** When the jobs run: 24 h after the partition's last append (past the default snapshot age). */
const JOBS_AT = DAY + 48 * HOUR;

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
  const perCommit = Math.ceil(files / commits);
  let pending = [];
  for (let f = 0; f < files; f++) {
    const n = Math.min(perFile, rows - f * perFile);
    if (n > 0) {
      // A streaming append covers its own stretch of the day (rows in arrival order, not sorted).
      const batch = sampleRows(SILVER, n, DAY, `f${f}`).map((r, i) => ({
        ...(r as SilverRow),
        event_time: DAY + f * span + ((i * 7_919) % span),
      }));
      pending.push(...(await writeDataFiles(store, table, SILVER, batch, `append-${f}`)).map((w) => w.file));
    }
    if (pending.length && (pending.length >= perCommit || f === files - 1)) {
      await table.append(pending, { commitId: `bench-append-${f}`, nowMs: DAY + (f + 1) * span });
      pending = [];
    }
  }
  return table;
}

/** The table's state the report compares before and after the jobs. */
async function tableState(table: IcebergTable) {
  const counts = await table.counts();
  const current = await table.loadCurrent();
  return {
    files: counts.files,
    bytes: counts.bytes,
    manifests: counts.manifests,
    snapshots: (await table.snapshots()).length,
    metadataBytes: current ? new TextEncoder().encode(current.metadataText).length : 0,
  };
}

await initParquetNode();
const persist = mkdtempSync(join(tmpdir(), "wikiflare-maint-bench-"));
const lake = await openLocalLake(persist, "wikiflare-lake", { create: true });
const r2 = new R2BlobStore(lake.bucket as unknown as R2BucketLike);
const results: Array<Record<string, number>> = [];
try {
  for (let run = 0; run < runs; run++) {
    const table = await buildTable(r2, `bench-${run}`);
    const before = await tableState(table);
    const peak = new MemoryPeak();
    const timer = setInterval(() => peak.sample(false), 5);
    const started = performance.now();
    const result = await compactTable(sampled(r2, peak), table, SILVER, {
      targetBytes,
      nowMs: JOBS_AT,
      tag: `bench${run}`,
    });
    const ms = performance.now() - started;
    clearInterval(timer);
    peak.sample();
    const compacted = await tableState(table);
    const timed = async <T>(job: () => Promise<T>) => {
      const t0 = performance.now();
      const out = await job();
      return { out, ms: performance.now() - t0 };
    };
    const rewrite = await timed(() =>
      table.rewriteManifests({ commitId: `bench-rewrite-${run}`, nowMs: JOBS_AT + 1 })
    );
    const expiry = await timed(() =>
      table.expireSnapshots({
        nowMs: JOBS_AT + 2,
        maxAgeMs: DEFAULT_SNAPSHOT_MAX_AGE_HOURS * HOUR,
        retainLast: DEFAULT_SNAPSHOT_RETAIN_LAST,
      })
    );
    // Orphan removal 3 h later (its floor is R2's upload time, i.e. now): nothing may be left over.
    const orphans = await timed(() =>
      table.removeOrphans({ nowMs: Date.now() + 3 * HOUR + 60_000, minAgeMs: 3 * HOUR })
    );
    const after = await tableState(table);
    const snapshot = currentSnapshot((await table.metadata())!)!;
    results.push({
      ms,
      filesBefore: before.files,
      filesAfter: after.files,
      bytesBefore: before.bytes,
      bytesAfter: after.bytes,
      manifestsBefore: before.manifests,
      manifestsCompacted: compacted.manifests,
      manifestsAfter: after.manifests,
      snapshotsBefore: before.snapshots,
      snapshotsAfter: after.snapshots,
      expired: expiry.out.expired.length,
      expiryDeleted: expiry.out.filesDeleted,
      orphansDeleted: orphans.out.deleted.length,
      metadataBefore: before.metadataBytes,
      metadataAfter: after.metadataBytes,
      rewriteMs: rewrite.ms,
      expiryMs: expiry.ms,
      orphansMs: orphans.ms,
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
const mb = (k: string) => (med(k) / MB).toFixed(1);
const kb = (k: string) => (med(k) / 1024).toFixed(1);
const sec = (k: string) => (med(k) / 1000).toFixed(1);
const table = markdownTable(
  [
    "rows",
    "commits",
    "data files before → after",
    "manifests before → after compaction → after rewrite",
    "data MB before → after",
    "largest output MB",
    "target MB",
    "snapshots before → after (expired)",
    "files deleted by expiry / orphans",
    "metadata.json KB before → after",
    "compaction s",
    "rewrite / expiry / orphans s",
    "compaction peak live heap+external Δ MB",
    "incl. garbage MB",
    "peak RSS Δ MB",
  ],
  [[
    String(med("records")),
    String(commits),
    `${med("filesBefore")} → ${med("filesAfter")}`,
    `${med("manifestsBefore")} → ${med("manifestsCompacted")} → ${med("manifestsAfter")}`,
    `${mb("bytesBefore")} → ${mb("bytesAfter")}`,
    mb("maxOutput"),
    String(targetBytes / MB),
    `${med("snapshotsBefore")} → ${med("snapshotsAfter")} (${med("expired")})`,
    `${med("expiryDeleted")} / ${med("orphansDeleted")}`,
    `${kb("metadataBefore")} → ${kb("metadataAfter")}`,
    sec("ms"),
    `${sec("rewriteMs")} / ${sec("expiryMs")} / ${sec("orphansMs")}`,
    mb("live"),
    mb("heap"),
    mb("rss"),
  ]],
);
appendResults("maintenance", table, [
  `One day partition of silver, ${rows} rows in ${files} files committed as ${commits} fast appends spread over the day, then the cron's jobs in order 24 h after the last append (compaction with the default 20,000-row slices, manifest rewrite, expiry with ${DEFAULT_SNAPSHOT_MAX_AGE_HOURS} h / ${DEFAULT_SNAPSHOT_RETAIN_LAST} snapshots, orphan removal with its 3 h floor); medians of ${runs} runs, each on a fresh table, runs: ${
    results.map((r) => `compaction ${(r.ms / 1000).toFixed(1)} s / live ${(r.live / MB).toFixed(1)} MB`).join(
      ", ",
    )
  }. Metadata size is the current v<N>.metadata.json in bytes; manifests and files are those of the current snapshot.`,
  "Compaction ran in the Node process against Miniflare's local R2 (a separate workerd process, not counted). Memory (compaction only): V8 heapUsed + external (external holds Array buffers and parquet-wasm's WebAssembly memory) minus the value before the run (after a GC), sampled every 5 ms and at every R2 call. 'live' is the peak after a forced full GC at every 10th R2 call (what compaction holds; the forced GCs lengthen the wall time); 'incl. garbage' is the raw sampled peak — Node's large heap limit lets garbage pile up that a 128 MB isolate would collect. RSS Δ is the process RSS peak minus RSS before (wasm memory never shrinks). Not measured inside a deployed Worker isolate.",
  "Rows come from r2/testing/sample_rows.ts (short repeated strings: they compress better than real edits). The machine was shared with other helpers' builds and tests during the run.",
]);
