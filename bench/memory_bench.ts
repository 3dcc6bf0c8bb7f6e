/**
 * `npm run bench -- memory [--runs 3] [--seed 1]`
 *
 * Peak memory of the consumer's largest batch and of the ingestor's largest flush, in Node, with
 * the product's own code, each run in a fresh child process (a fresh parquet-wasm instance):
 *
 * - consumer: `ingestMessages` (workers/queue/ingest_messages.ts, the real function) on 100
 *   messages (wrangler.toml max_batch_size) packed by the ingestor's `packMessages` at its limit
 *   (≈ 120 KB) from synth events (default mix: 1 % duplicates, 0.5 % bad lines, canaries dropped
 *   as the ingestor does), bodies parsed from their JSON inside the measurement. Its bindings are
 *   stand-ins: R2 keeps each put's bytes until the put resolves; every Durable Object call
 *   copies its arguments with `v8.serialize` (what an RPC does) and holds the copy until it
 *   resolves; the claims answer "every key is new" (a first delivery) with a deserialized copy.
 *   The objects' own memory (committers, rollups, tracker, windows, live hub) is not counted: each
 *   runs in its own isolate when deployed.
 * - ingestor: the SSE bytes of a max-speed stream pushed in 64 KiB chunks through its SSE reader
 *   until `shouldFlush(DEFAULT_FLUSH)` says flush, then the flush's work with the same core
 *   functions as StreamIngestor.#flush: canary checks, identities, `packMessages`,
 *   `numberMessages`, one JSON text per message (the outbox), `groupForSendBatch` and the send's
 *   serialization of each body (held until every send of the flush resolved). SQLite (seen
 *   identities, outbox rows) lives outside the JS heap and is not counted.
 *
 * Memory: V8 heapUsed + external, minus parquet-wasm's linear memory (reported apart: it grows
 * and never shrinks), over the value before the batch, sampled at every binding call (with
 * garbage, as the isolate would see it) and after a complete forced GC at every call ("live":
 * two `gc()` calls, so that the array buffers the first frees are no longer counted).
 */
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { loadavg } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { appendResults, markdownTable, median } from "./lib/results.ts";
import { runDir, synthStream } from "./lib/bench_stack.ts";
import { INGESTOR_MAX_MESSAGE_BYTES, packLikeIngestor, readSynthEvents } from "./lib/synth_events.ts";
import { isCanaryEvent, type RawEvent } from "../durable-objects/stream_ingestor/batching.ts";
import { runConsumerChild, runIngestorChild } from "./lib/memory_children.ts";

const { values } = parseArgs({
  options: {
    runs: { type: "string", default: "3" },
    seed: { type: "string", default: "1" },
    child: { type: "string" },
    input: { type: "string" },
  },
});

if (values.child === "consumer") {
  console.log(JSON.stringify(await runConsumerChild(values.input!)));
  process.exit(0);
}
if (values.child === "ingestor") {
  console.log(JSON.stringify(await runIngestorChild(values.input!)));
  process.exit(0);
}

const runs = Number(values.runs);
if (!Number.isInteger(runs) || runs < 1 || runs > 9) throw new RangeError("--runs 1..9");
const MB = 2 ** 20;
const MAX_BATCH_MESSAGES = 100; // wrangler.toml [[queues.consumers]] max_batch_size

const dir = runDir("memory");
const stream = join(dir, "stream.jsonl");
synthStream(stream, { events: 20_000, span: "1h", seed: values.seed, lateShare: 0.02 });

// The largest batch: the first 100 messages of a backlog, packed as the ingestor packs.
const events: RawEvent[] = [];
for await (const chunk of readSynthEvents(stream, 20_000, Date.now())) {
  for (const e of chunk.events) if (!isCanaryEvent(e.data)) events.push(e);
}
const messages = packLikeIngestor(events, crypto.randomUUID(), 0).slice(0, MAX_BATCH_MESSAGES);
const texts = messages.map((m) => JSON.stringify(m));
const batchFile = join(dir, "batch.json");
writeFileSync(batchFile, JSON.stringify(texts));
const batchBytes = texts.reduce((n, t) => n + Buffer.byteLength(t), 0);
const batchEvents = messages.reduce((n, m) => n + m.events.length, 0);

const self = fileURLToPath(import.meta.url);
const loads: number[] = [];
function child(kind: string, input: string): Record<string, number> {
  loads.push(loadavg()[0]!);
  const r = spawnSync(process.execPath, ["--expose-gc", self, "--child", kind, "--input", input], {
    encoding: "utf8",
    maxBuffer: 16 * MB,
  });
  if (r.status !== 0) throw new Error(`${kind} child failed (exit ${r.status}): ${r.stderr}`);
  const result = JSON.parse(r.stdout.trim().split("\n").at(-1)!);
  console.log(JSON.stringify({ kind, ...result }));
  return result;
}
const consumer = Array.from({ length: runs }, () => child("consumer", batchFile));
const ingestor = Array.from({ length: runs }, () => child("ingestor", stream));
loads.push(loadavg()[0]!);

const med = (list: Array<Record<string, number>>, k: string) => median(list.map((r) => r[k]!));
const mb = (list: Array<Record<string, number>>, k: string) => `${(med(list, k) / MB).toFixed(1)} MB`;
const rows = [
  [
    `consumer, largest batch (${messages.length} messages, ${batchEvents.toLocaleString("en-US")} events, ${
      (batchBytes / 1e6).toFixed(1)
    } MB of JSON)`,
    mb(consumer, "peak"),
    mb(consumer, "live"),
    `${mb(consumer, "wasmBefore")} → ${mb(consumer, "wasmAfter")}`,
    `${((med(consumer, "peak") + med(consumer, "wasmAfter")) / MB).toFixed(1)} MB`,
    `${(med(consumer, "ms") / 1000).toFixed(2)} s`,
  ],
  [
    `ingestor, largest flush (${med(ingestor, "events")} events, ${med(ingestor, "messages")} messages, ${
      (med(ingestor, "textBytes") / 1e6).toFixed(2)
    } MB of message JSON)`,
    mb(ingestor, "peak"),
    mb(ingestor, "live"),
    "— (no wasm)",
    mb(ingestor, "peak"),
    `${(med(ingestor, "ms") / 1000).toFixed(2)} s`,
  ],
];
appendResults(
  "memory",
  markdownTable(
    [
      "what",
      "peak JS heap + external Δ (incl. garbage)",
      "peak live Δ (after a complete GC)",
      "parquet-wasm memory before → after",
      "JS peak + wasm after",
      "time (with forced GCs)",
    ],
    rows,
  ),
  [
    `Median of ${runs} runs, each in a fresh Node ${process.versions.node} process (--expose-gc), on the product's own ` +
    "code (see bench/memory_bench.ts): the consumer is the real `ingestMessages` with stand-in bindings, the " +
    "ingestor the core functions StreamIngestor.#flush calls, in its order.",
    `Consumer batch: the first ${messages.length} messages (max_batch_size) of ${
      events.length.toLocaleString("en-US")
    } ` +
    `synth events (seed ${values.seed}, canaries dropped), packed by packMessages at ${INGESTOR_MAX_MESSAGE_BYTES} ` +
    "bytes; the message texts are loaded before the baseline (the queue's copy), the parsed bodies are measured. " +
    "Included: parsed bodies, bronze/silver/quarantine planning, the two claims' payloads (serialized copies and " +
    "the answers), Arrow + Parquet encoding of the three files and their bytes until the put resolves, the stage " +
    "descriptors, the rollup, tracker and live-hub payloads (serialized copies). Not included: the objects' own " +
    "memory, the runtime's copy of the delivered batch, R2's and the RPC layer's buffers in the runtime.",
    "Ingestor flush: events read at max speed until DEFAULT_FLUSH (2,000 events or 1,000,000 characters or " +
    "250 ms) fires; included: the SSE reader's buffers, the pending events, identities, packed and numbered messages, " +
    "the outbox texts and one JSON serialization per message for its send (held until all sends resolved). Not " +
    "included: SQLite (seen identities, outbox rows), the runtime's send buffers.",
    "parquet-wasm's linear memory is counted apart: it starts at the module's initial size, grows to the largest " +
    "encode's need and never shrinks, so 'after' is what the isolate keeps. Node counts it in `external`; it is " +
    "subtracted from the JS columns. 'JS peak + wasm after' approximates the isolate's total for the batch; the " +
    "Workers limit is 128 MB per isolate, the goal 64 MB.",
    `parquet-wasm memory after each file's encode (median): bronze ${mb(consumer, "wasm_bronze")} (file ${
      mb(consumer, "bytes_bronze")
    }, ${med(consumer, "bronze")} rows with their raw JSON), silver ${mb(consumer, "wasm_silver")} (file ${
      mb(consumer, "bytes_silver")
    }, ${med(consumer, "silver")} rows), quarantine ${mb(consumer, "wasm_quarantine")} (${
      med(consumer, "quarantine")
    } rows); the files are encoded in that order.`,
    "Live is measured after two forced collections at each sample: after one, the array buffers it freed are " +
    "still counted in `external` until their sweeping finishes (the runs before this note used one, which " +
    "counted an encode's freed Arrow/IPC buffers as live).",
    "Not measured inside workerd: a workerd process's RSS also holds the runtime, every other isolate and the " +
    "local simulators, and Node cannot sample an isolate's heap inside it.",
    `Load average (1 min) during the runs: ${Math.min(...loads).toFixed(2)}–${
      Math.max(...loads).toFixed(2)
    }.`,
  ],
);
