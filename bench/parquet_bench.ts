/**
 * `npm run bench -- parquet [--events 1000000] [--runs 3] [--sizes 700,10000,all] [--seed 1] [--stream F]`
 *
 * Our Parquet writer against DuckDB's on the same silver rows. The rows: a synth stream
 * (scripts/synth.ts, no duplicates, canaries or bad lines) made into queue messages by the
 * ingestor's `packMessages` and into silver rows by the consumer's `planBronze`/`planSilver`
 * (bench/lib/synth_events.ts). DuckDB gets the very same rows: written as JSON lines and loaded
 * into a typed table before anything is timed. Then, for each file size (rows per file), both
 * write the rows as zstd Parquet files of that size:
 *
 * - ours: `encodeParquet(SILVER, rows)` — the call `writeDataFiles` makes for each file of a
 *   consumer batch (Arrow table build + IPC per bounded piece, parquet-wasm's streaming writer,
 *   zstd) — and `writeFileSync` of the bytes;
 * - DuckDB: `COPY chunk_i TO … (FORMAT parquet, COMPRESSION zstd)` per file, each file's rows split
 *   into their own in-memory table beforehand (`COPY silver TO …` for one file of all rows).
 *
 * Only that is timed (wall and process CPU, which counts DuckDB's threads). Both sets are read
 * back by DuckDB's `read_parquet`: row counts, and `EXCEPT ALL` both ways to check the same rows.
 */
import { mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { loadavg } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { DuckDBInstance } from "@duckdb/node-api";
import { tableToIPC } from "apache-arrow";
import { ENCODE_LIMITS, encodeParquet } from "../r2/parquet/parquet_writer.ts";
import { buildArrowTable } from "../r2/parquet/arrow_table.ts";
import { sliceRowChunks } from "../r2/parquet/row_chunks.ts";
import { initParquetNode } from "../r2/parquet/parquet_node.ts";
import { SILVER } from "../r2/tables/schemas.ts";
import type { SilverRow } from "../r2/tables/rows.ts";
import { appendResults, markdownTable, median } from "./lib/results.ts";
import { runDir, synthStream } from "./lib/bench_stack.ts";
import { packLikeIngestor, planBatch, readSynthEvents } from "./lib/synth_events.ts";

const { values } = parseArgs({
  options: {
    events: { type: "string", default: "1000000" },
    runs: { type: "string", default: "3" },
    sizes: { type: "string", default: "700,10000,all" },
    seed: { type: "string", default: "1" },
    /** Reuse a synth file made with the same --events and --seed (and no duplicates/canaries/bad). */
    stream: { type: "string" },
  },
});
const events = Number(values.events);
const runs = Number(values.runs);
if (!Number.isInteger(events) || events < 1000 || events > 5_000_000) {
  throw new RangeError("--events 1000..5000000");
}
if (!Number.isInteger(runs) || runs < 1 || runs > 9) throw new RangeError("--runs 1..9");
const sizes = values.sizes.split(",").map((s) => (s === "all" ? Infinity : Number(s)));
if (sizes.some((s) => !(s === Infinity || (Number.isInteger(s) && s >= 100)))) {
  throw new RangeError("--sizes: comma-separated rows per file (≥ 100) or 'all'");
}

const sq = (s: string) => `'${s.replaceAll("'", "''")}'`;
const loads: number[] = [];
const noteLoad = () => loads.push(loadavg()[0]!);

/** Milliseconds of process CPU (all threads: DuckDB's too) since `from`. */
const cpuMs = (from: NodeJS.CpuUsage) => {
  const u = process.cpuUsage(from);
  return (u.user + u.system) / 1000;
};

const dir = runDir("parquet");
const stream = values.stream ?? join(dir, "stream.jsonl");
if (!values.stream) {
  synthStream(stream, {
    events,
    span: "10h",
    seed: values.seed,
    duplicates: 0,
    canaries: 0,
    bad: 0,
    lateShare: 0,
  });
}

// Silver rows through the product's own code (not timed). They are kept as JSON text in blocks of
// 100 rows and parsed back per file outside the timed part: a consumer's isolate holds one batch, and
// a million live row objects in this heap would make the encoder's garbage collections mark them all.
await initParquetNode();
const BLOCK = 100;
const blocks: string[] = [];
let rowCount = 0;
let rawBytes = 0;
let messages = 0;
let quarantined = 0;
{
  const seen = new Set<string>();
  let pending: SilverRow[] = [];
  for await (const chunk of readSynthEvents(stream)) {
    rawBytes += chunk.rawBytes;
    const batch = packLikeIngestor(chunk.events, "bench", messages);
    messages += batch.length;
    const planned = planBatch(batch, seen);
    for (const r of planned.silver) {
      pending.push(r);
      if (pending.length === BLOCK) {
        blocks.push(JSON.stringify(pending));
        pending = [];
      }
    }
    rowCount += planned.silver.length;
    quarantined += planned.quarantine.length;
  }
  if (pending.length) blocks.push(JSON.stringify(pending));
}
console.log(
  `${rowCount} silver rows from ${events} events (${quarantined} quarantined), ${messages} messages`,
);

/** Rows [a, a + n) as fresh objects (not timed). */
function rowsAt(a: number, n: number): SilverRow[] {
  const end = Math.min(rowCount, a + n);
  const out: SilverRow[] = [];
  for (let b = Math.floor(a / BLOCK); b * BLOCK < end; b++) {
    const block: SilverRow[] = JSON.parse(blocks[b]!);
    for (let i = 0; i < block.length; i++) {
      const at = b * BLOCK + i;
      if (at >= a && at < end) out.push(block[i]!);
    }
  }
  return out;
}

// The same rows for DuckDB, as JSON lines with the row objects' own values (epoch ms for times).
const rowsFile = join(dir, "silver_rows.jsonl");
for (const [i, block] of blocks.entries()) {
  const lines = (JSON.parse(block) as SilverRow[]).map((r) => JSON.stringify(r) + "\n").join("");
  writeFileSync(rowsFile, lines, { flag: i === 0 ? "w" : "a" });
}
const db = await DuckDBInstance.create(":memory:");
const con = await db.connect();
await con.run("SET TimeZone = 'UTC'");
const columns = SILVER.columns.map((c) =>
  `${JSON.stringify(c.name)}: '${
    {
      string: "VARCHAR",
      int: "INTEGER",
      long: "BIGINT",
      boolean: "BOOLEAN",
      double: "DOUBLE",
      timestamptz: "BIGINT",
    }[
      c.type
    ]
  }'`
).join(", ");
const select = SILVER.columns.map((c) =>
  c.type === "timestamptz" ? `epoch_ms(${c.name})::TIMESTAMPTZ AS ${c.name}` : c.name
).join(", ");
await con.run(
  `CREATE TABLE silver AS SELECT ${select} FROM read_json(${
    sq(rowsFile)
  }, format = 'newline_delimited', columns = {${columns}})`,
);
const threads = (await con.runAndReadAll("SELECT current_setting('threads') AS t")).getRowObjectsJS()[0]!.t;
const loaded = Number((await con.runAndReadAll("SELECT count(*) AS n FROM silver")).getRowObjectsJS()[0]!.n);
if (loaded !== rowCount) throw new Error(`DuckDB loaded ${loaded} rows, expected ${rowCount}`);

interface Measured {
  ms: number;
  cpu: number;
  bytes: number;
  files: number;
}

async function writeOurs(out: string, perFile: number, upto = rowCount): Promise<Measured> {
  let ms = 0;
  let cpu = 0;
  let bytes = 0;
  let files = 0;
  for (let a = 0; a < upto; a += perFile) {
    const fileRows = rowsAt(a, Math.min(perFile, upto - a));
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const encoded = await encodeParquet(SILVER, fileRows);
    writeFileSync(join(out, `part-${files++}.parquet`), encoded);
    ms += performance.now() - t0;
    cpu += cpuMs(cpu0);
    bytes += encoded.length;
  }
  return { ms, cpu, bytes, files };
}

/** Splits DuckDB's table into one table per file (not timed), so that each timed COPY only encodes. */
async function makeChunkTables(perFile: number, upto = rowCount): Promise<string[]> {
  if (perFile >= upto) return ["silver"];
  const names: string[] = [];
  for (let a = 0; a < upto; a += perFile) {
    const name = `chunk_${names.length}`;
    await con.run(
      `CREATE OR REPLACE TABLE ${name} AS SELECT * FROM silver WHERE rowid BETWEEN ${a} AND ${
        a + perFile - 1
      } ORDER BY rowid`,
    );
    names.push(name);
  }
  return names;
}

async function dropChunkTables(names: string[]): Promise<void> {
  for (const name of names) if (name !== "silver") await con.run(`DROP TABLE ${name}`);
}

async function writeDuckdb(out: string, tables: string[]): Promise<Measured> {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (const [i, table] of tables.entries()) {
    await con.run(
      `COPY ${table} TO ${sq(join(out, `part-${i}.parquet`))} (FORMAT parquet, COMPRESSION zstd)`,
    );
  }
  const ms = performance.now() - t0;
  const cpu = cpuMs(cpu0);
  const bytes = readdirSync(out).reduce((n, f) => n + statSync(join(out, f)).size, 0);
  return { ms, cpu, bytes, files: tables.length };
}

async function scalar(sql: string): Promise<number> {
  return Number(Object.values((await con.runAndReadAll(sql)).getRowObjectsJS()[0]!)[0]);
}

/** Row count, row groups of the first file, and rows in one set but not the other (both ways). */
async function readBack(ours: string, theirs: string) {
  const a = `read_parquet(${sq(join(ours, "*.parquet"))})`;
  const b = `read_parquet(${sq(join(theirs, "*.parquet"))})`;
  const cols = SILVER.columns.map((c) => c.name).join(", ");
  return {
    oursRows: await scalar(`SELECT count(*) FROM ${a}`),
    duckRows: await scalar(`SELECT count(*) FROM ${b}`),
    oursGroups: await scalar(
      `SELECT count(DISTINCT row_group_id) FROM parquet_metadata(${sq(join(ours, "part-0.parquet"))})`,
    ),
    duckGroups: await scalar(
      `SELECT count(DISTINCT row_group_id) FROM parquet_metadata(${sq(join(theirs, "part-0.parquet"))})`,
    ),
    onlyOurs: await scalar(
      `SELECT count(*) FROM (SELECT ${cols} FROM ${a} EXCEPT ALL SELECT ${cols} FROM ${b})`,
    ),
    onlyDuck: await scalar(
      `SELECT count(*) FROM (SELECT ${cols} FROM ${b} EXCEPT ALL SELECT ${cols} FROM ${a})`,
    ),
  };
}

/**
 * Where ours spends its time, over all files of one size (a separate pass, not timed above): the
 * Arrow build and tableToIPC of each piece encodeParquet cuts (same limits), timed apart, and the
 * rest of a whole encodeParquet of the file (parquet-wasm reading the IPC and writing, the streams).
 */
async function oursBreakdown(perFile: number): Promise<{ build: number; ipc: number; wasm: number }> {
  const spent = { build: 0, ipc: 0, wasm: 0 };
  const limits = { maxRows: ENCODE_LIMITS.chunkRows, maxBytes: ENCODE_LIMITS.chunkBytes };
  for (let a = 0; a < rowCount; a += perFile) {
    const fileRows = rowsAt(a, perFile);
    let build = 0;
    let ipc = 0;
    for (const piece of sliceRowChunks(SILVER, fileRows, limits)) {
      const t0 = performance.now();
      const table = buildArrowTable(SILVER, piece);
      const t1 = performance.now();
      tableToIPC(table, "stream");
      build += t1 - t0;
      ipc += performance.now() - t1;
    }
    const t2 = performance.now();
    await encodeParquet(SILVER, fileRows);
    spent.build += build;
    spent.ipc += ipc;
    spent.wasm += Math.max(0, performance.now() - t2 - build - ipc);
  }
  return spent;
}

const tableRows: string[][] = [];
const notes: string[] = [];
const breakdowns: string[] = [];
try {
  // Warm-up, not counted: the consumer's isolate is warm (JIT, wasm instance, DuckDB's caches).
  {
    const warm = join(dir, "warm-up");
    mkdirSync(warm, { recursive: true });
    await writeOurs(warm, 2_000, Math.min(20_000, rowCount));
    rmSync(warm, { recursive: true, force: true });
    mkdirSync(warm, { recursive: true });
    const warmTables = await makeChunkTables(2_000, Math.min(20_000, rowCount));
    await writeDuckdb(warm, warmTables);
    await dropChunkTables(warmTables);
    rmSync(warm, { recursive: true, force: true });
  }
  for (const size of sizes) {
    const perFile = Math.min(size, rowCount);
    const ours: Measured[] = [];
    const duck: Measured[] = [];
    let check: Awaited<ReturnType<typeof readBack>> | null = null;
    const chunkTables = await makeChunkTables(perFile);
    for (let run = 0; run < runs; run++) {
      const oursDir = join(dir, `ours-${perFile}`);
      const duckDir = join(dir, `duckdb-${perFile}`);
      for (const d of [oursDir, duckDir]) {
        rmSync(d, { recursive: true, force: true });
        mkdirSync(d, { recursive: true });
      }
      // Alternate the order so neither writer always runs on a warmer (or more loaded) machine.
      noteLoad();
      if (run % 2 === 0) {
        ours.push(await writeOurs(oursDir, perFile));
        duck.push(await writeDuckdb(duckDir, chunkTables));
      } else {
        duck.push(await writeDuckdb(duckDir, chunkTables));
        ours.push(await writeOurs(oursDir, perFile));
      }
      noteLoad();
      console.log(
        JSON.stringify({ perFile, run, ours: ours.at(-1), duckdb: duck.at(-1), load: loads.at(-1) }),
      );
      if (run === runs - 1) check = await readBack(oursDir, duckDir);
      if (run < runs - 1) { for (const d of [oursDir, duckDir]) rmSync(d, { recursive: true, force: true }); }
    }
    const b = await oursBreakdown(perFile);
    const total = b.build + b.ipc + b.wasm;
    const pct = (v: number) => `${((100 * v) / total).toFixed(0)} %`;
    breakdowns.push(
      `${perFile.toLocaleString("en-US")} rows per file: Arrow build ${pct(b.build)}, tableToIPC ${
        pct(b.ipc)
      }, parquet-wasm read IPC + write and the streams ${pct(b.wasm)} (of ${(total / 1000).toFixed(2)} s)`,
    );
    const m = (list: Measured[], k: keyof Measured) => median(list.map((x) => x[k]));
    const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
    const mb = (b: number) => `${(b / 1e6).toFixed(1)} MB`;
    tableRows.push([
      `${perFile.toLocaleString("en-US")} (${m(ours, "files")} files)`,
      `${s(m(ours, "ms"))} (CPU ${s(m(ours, "cpu"))})`,
      `${s(m(duck, "ms"))} (CPU ${s(m(duck, "cpu"))})`,
      `${(m(ours, "ms") / m(duck, "ms")).toFixed(2)}× (CPU ${(m(ours, "cpu") / m(duck, "cpu")).toFixed(2)}×)`,
      `${mb(m(ours, "bytes"))} (1/${(rawBytes / m(ours, "bytes")).toFixed(1)})`,
      `${mb(m(duck, "bytes"))} (1/${(rawBytes / m(duck, "bytes")).toFixed(1)})`,
      `${check!.oursRows} / ${check!.duckRows}`,
      `${check!.oursGroups} / ${check!.duckGroups}`,
      `${check!.onlyOurs} / ${check!.onlyDuck}`,
    ]);
  }
} finally {
  con.closeSync();
  db.closeSync();
}

notes.push(
  `${rowCount.toLocaleString("en-US")} silver rows (17 columns) from ${
    events.toLocaleString("en-US")
  } synth events ` +
    `(seed ${values.seed}, 10 h span, no duplicates/canaries/bad lines), packed into ${messages} messages by the ` +
    `ingestor's packMessages (≤ 119,900 bytes each) and classified by the consumer's planBronze/planSilver; raw JSON ` +
    `of the events: ${
      (rawBytes / 1e6).toFixed(1)
    } MB (UTF-8 bytes of the lines, newlines excluded). Bytes column: ` +
    "sum of the files' sizes and the fraction of the raw JSON.",
  "Timed for ours: `encodeParquet(SILVER, rows)` (r2/parquet/parquet_writer.ts — the call the consumer's " +
    "writeDataFiles makes per file: per piece of ≤ " +
    `${ENCODE_LIMITS.chunkRows.toLocaleString("en-US")} rows and ≤ ${
      ENCODE_LIMITS.chunkBytes / 1024
    } KiB of ` +
    "values, an Arrow table build with type checks, tableToIPC and parquet-wasm fromIPCStream, all pieces through " +
    "one transformParquetStream with ZSTD) plus writeFileSync of each file, summed per file; each file's rows are parsed from " +
    "JSON text just before (not timed), so that the heap holds about what a consumer's isolate holds. Timed for DuckDB: the COPY statements from its " +
    "in-memory typed tables (`COPY chunk_i TO …` per file, each file's rows split into their own table beforehand, so " +
    "that no COPY scans rows it does not write; `COPY silver TO` for one file of all rows). Not timed for either: " +
    "synth, classification into silver rows, the JSON load into DuckDB, the split, the read-back checks.",
  `CPU is the process's user+system time over the timed part (DuckDB ran with threads = ${threads}; ours is one ` +
    "thread). Ratio = ours ÷ DuckDB, medians of the runs. Row groups: of the first file of each set " +
    `(ours closes one at 65,536 rows or ${ENCODE_LIMITS.rowGroupBytes / 2 ** 20} MiB of encoded bytes, ` +
    "DuckDB at 122,880 rows).",
  "Read-back: DuckDB read_parquet over each set of the last run: row counts (ours / DuckDB), and rows of one set " +
    "missing from the other by `EXCEPT ALL` over all 17 columns (0 / 0 means the same rows and values).",
  "What production writes: a consumer batch is ≤ 100 messages (wrangler.toml max_batch_size) of ≤ 119,900 bytes, " +
    `i.e. ≤ ${
      Math.floor(100 * rowCount / messages).toLocaleString("en-US")
    } of these events; writeDataFiles writes one silver file per ` +
    "partition day per batch with one encodeParquet call; a batch's silver file stays within one row group " +
    "(≈ 700 rows in the freshness runs, 1,689 on average in the 1 M throughput run, ≈ 7,500 at most).",
  `Where ours spends its time (one extra pass, same calls): ${breakdowns.join("; ")}.`,
  `Load average (1 min) at the start and end of each timed run: ${Math.min(...loads).toFixed(2)}–${
    Math.max(...loads).toFixed(2)
  }; the machine (2 cores) is shared with another helper's tests and benchmarks.`,
);
appendResults(
  "parquet",
  markdownTable([
    "rows per file",
    "ours",
    "DuckDB",
    "ours ÷ DuckDB",
    "ours bytes (of raw JSON)",
    "DuckDB bytes (of raw JSON)",
    "rows read back",
    "row groups per file",
    "rows only in one",
  ], tableRows),
  notes,
);
rmSync(dir, { recursive: true, force: true });
