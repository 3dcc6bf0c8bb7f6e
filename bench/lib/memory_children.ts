/**
 * The two measurements of the memory suite, each run in its own child process (`--expose-gc`):
 * the consumer's `ingestMessages` on one batch with stand-in bindings, and the ingestor's largest
 * flush with the core functions StreamIngestor.#flush calls. See bench/memory_bench.ts.
 */
import { readFileSync } from "node:fs";
import { register } from "node:module";
import { deserialize, serialize } from "node:v8";
import {
  groupForSendBatch,
  isOversized,
  numberMessages,
  packMessages,
} from "../../durable-objects/stream_ingestor/batching.ts";
import { createSseReader, utf8Length } from "../../durable-objects/stream_ingestor/sse.ts";
import { DEFAULT_FLUSH, PendingEvents } from "../../durable-objects/stream_ingestor/ingestor_state.ts";
import { bronzeIdentity, eventKeyOf } from "../../r2/tables/event_identity.ts";
import { decodeRawEventsMessage } from "../../workers/queue/message.ts";
import { encodeFrame, makeEventId } from "../../scripts/lib/replay_frames.ts";
import { INGESTOR_MAX_MESSAGE_BYTES } from "./synth_events.ts";

const gc = (globalThis as { gc?: () => void }).gc ?? (() => {
  throw new Error("run with --expose-gc");
});

/**
 * Peak of heapUsed + external − wasm memory over the baseline: as sampled, and after a complete
 * GC. Complete means two `gc()` calls: the array buffers one collection frees leave `external`
 * only when their sweeping has finished, which the next collection waits for; after a single call
 * the Arrow/IPC buffers of an encode still counted as live (10–12 MB at the bronze put).
 */
class Sampler {
  readonly base: number;
  peak = 0;
  live = 0;
  readonly wasmBytes: () => number;
  constructor(wasmBytes: () => number) {
    this.wasmBytes = wasmBytes;
    gc();
    gc();
    this.base = this.#js();
  }
  #js(): number {
    const u = process.memoryUsage();
    return u.heapUsed + u.external - this.wasmBytes();
  }
  sample(): void {
    this.peak = Math.max(this.peak, this.#js() - this.base);
    gc();
    gc();
    this.live = Math.max(this.live, this.#js() - this.base);
  }
}

/** An RPC stand-in: copies the arguments as structured clone does, answers with a copy. */
function rpc<T>(s: Sampler, args: unknown[], answer: () => T): Promise<T> {
  const held = [serialize(args)];
  const out = deserialize(serialize(answer())) as T;
  s.sample();
  held.length = 0;
  return Promise.resolve(out);
}

/** Bindings for `ingestMessages`: every object call is an RPC stand-in, R2 keeps nothing. */
function standInEnv(s: Sampler, wasmAfterPut: Record<string, number>, wasmBytes: () => number): unknown {
  const stub = <T>(methods: T) => ({ getByName: () => methods });
  const env = {
    LAKE_BUCKET_NAME: "wikiflare-lake",
    WAREHOUSE: "bench",
    LAKE: {
      get: () => Promise.resolve(null),
      put: (key: string, bytes: Uint8Array) => {
        s.sample(); // the encoded file is alive here, with the encoder's garbage
        const table = /(bronze|silver|quarantine)_wiki_events/.exec(key)?.[1] ?? "other";
        wasmAfterPut[`wasm_${table}`] = wasmBytes();
        wasmAfterPut[`bytes_${table}`] = (wasmAfterPut[`bytes_${table}`] ?? 0) + bytes.length;
        return Promise.resolve({ size: bytes.length });
      },
    },
    TABLE_COMMITTER: stub({
      claim: (table: string, requests: Array<{ owner: string; keys: string[] }>) =>
        rpc(s, [table, requests], () => ({
          newKeys: Object.fromEntries(requests.map((r) => [r.owner, r.keys])),
          stagedOwners: [] as string[],
        })),
      stagedOwners: (table: string, owners: string[]) => rpc(s, [table, owners], () => [] as string[]),
      stage: (input: unknown) => rpc(s, [input], () => ({ ok: true })),
    }),
    EVENTS_ROLLUP: stub({
      add: (owner: string, rows: unknown[]) => rpc(s, [owner, rows], () => ({ added: rows.length })),
    }),
    WATERMARK: stub({
      admit: (admissions: unknown[]) => rpc(s, [admissions], () => ({ windows: 1, late: 0 })),
    }),
    LIVE_HUB: stub({
      notify: (starts: number[], rows: unknown[]) => rpc(s, [starts, rows], () => undefined),
    }),
  };
  return env;
}

/** Module stand-ins so the Worker's modules load in Node (only their exported names are used). */
const MODULE_STUBS: Record<string, string> = {
  "cloudflare:workers":
    "export class DurableObject { constructor(ctx, env) { this.ctx = ctx; this.env = env; } }; " +
    "export class WorkerEntrypoint {}; export const env = {};",
  "itty-durable":
    "export function createDurable() { return class {}; } export function proxyDurable() {} export function withDurables() {}",
};

/** The consumer's largest batch through `ingestMessages`; `batchFile` holds the message texts. */
export async function runConsumerChild(batchFile: string): Promise<Record<string, number>> {
  register(
    "data:text/javascript," + encodeURIComponent(
      `const stubs = ${JSON.stringify(MODULE_STUBS)};
       export async function resolve(specifier, context, next) {
         if (specifier in stubs) {
           return { url: "data:text/javascript," + encodeURIComponent(stubs[specifier]), shortCircuit: true };
         }
         return next(specifier, context);
       }`,
    ),
  );
  const { initParquetNode } = await import("../../r2/parquet/parquet_node.ts");
  const { wasmMemory } = await import("parquet-wasm/esm");
  // A computed specifier: the Node type-check (tsconfig.node.json) does not follow it into the
  // Worker's modules, which need the Workers types.
  const consumerModule = "../../workers/queue/ingest_messages.ts";
  const { ingestMessages } = await import(consumerModule);
  await initParquetNode();
  const texts = readTexts(batchFile);
  const wasmBytes = () => wasmMemory().buffer.byteLength;
  const wasmBefore = wasmBytes();
  const s = new Sampler(wasmBytes);
  const t0 = performance.now();
  // The runtime hands the consumer deserialized bodies; the handler decodes their shape.
  const messages = texts.map((t) => {
    const decoded = decodeRawEventsMessage(JSON.parse(t));
    if (!decoded.ok) throw new Error(decoded.reason);
    return decoded.message;
  });
  s.sample();
  const perTable: Record<string, number> = {};
  const report = await ingestMessages(standInEnv(s, perTable, wasmBytes), messages);
  s.sample();
  return {
    peak: s.peak,
    live: s.live,
    wasmBefore,
    wasmAfter: wasmBytes(),
    ms: performance.now() - t0,
    bronze: report.bronze,
    silver: report.silver,
    quarantine: report.quarantine,
    ...perTable,
  };
}

/** The ingestor's largest flush: read at max speed until DEFAULT_FLUSH fires, then flush. */
export async function runIngestorChild(streamFile: string): Promise<Record<string, number>> {
  const chunks = sseChunks(streamFile);

  const s = new Sampler(() => 0);
  const t0 = performance.now();
  // #read: frames become pending events until the flush policy fires (the ingestor's own buffer).
  const pending = new PendingEvents();
  const reader = createSseReader((frame) => pending.add(frame, Date.now()));
  for (const chunk of chunks) {
    reader.push(chunk);
    if (pending.isDue(Date.now(), DEFAULT_FLUSH)) break;
  }
  s.sample();
  // #flush: identities (the seen set is SQLite in the object), canaries out, pack, number, texts.
  const read = pending.take();
  const seen = new Set<string>();
  const batch = read.filter((p) => {
    p.identity = bronzeIdentity(p.event, eventKeyOf(p.event.data));
    if (seen.has(p.identity)) return false;
    seen.add(p.identity);
    return true;
  });
  const events = batch.filter((p) => !p.canary).map((p) => p.event);
  const oversized = events.filter((e) => isOversized(e, INGESTOR_MAX_MESSAGE_BYTES)).length;
  let n = 0;
  const messages = numberMessages(
    packMessages(events, { maxMessageBytes: INGESTOR_MAX_MESSAGE_BYTES, newBatchId: () => `bench-${n++}` }),
    "bench",
    0,
  );
  const texts = messages.map((m) => JSON.stringify(m));
  const identities = batch.map((p) => p.identity!); // bound into the seen-identities statement
  s.sample();
  // The sends overlap: every group's bodies are serialized before any send resolves.
  const sends = groupForSendBatch(messages, {}, (_, i) => utf8Length(texts[i]!)).map((group) =>
    group.map((m) => JSON.stringify(m))
  );
  s.sample();
  return {
    peak: s.peak,
    live: s.live,
    ms: performance.now() - t0,
    events: read.length,
    messages: messages.length,
    sendCalls: sends.length,
    textBytes: texts.reduce((sum, t) => sum + utf8Length(t), 0),
    oversized,
    identities: identities.length,
  };
}

/**
 * Reading happens in its own function: a temporary (the file's text) left in the caller's frame
 * would stay reachable through the baseline and be freed during the measurement.
 */
function readTexts(file: string): string[] {
  return JSON.parse(readFileSync(file, "utf8"));
}

/** The SSE bytes of the stream's first 5,000 events, as the replay server frames them, in 64 KiB chunks. */
function sseChunks(streamFile: string): Uint8Array[] {
  const encoder = new TextEncoder();
  const lines = readFileSync(streamFile, "utf8").split("\n").filter((l) => l.trim()).slice(0, 5_000);
  const frames = lines.map((line, i) => {
    let id = JSON.stringify([{ topic: "eqiad.mediawiki.recentchange", partition: 0, offset: i }]);
    try {
      id = makeEventId(JSON.parse(line), Date.now());
    } catch { /* a bad line keeps its position id */ }
    return encodeFrame({ id, data: encoder.encode(line) });
  });
  const all = new Uint8Array(frames.reduce((n, f) => n + f.length, 0));
  frames.reduce((at, f) => (all.set(f, at), at + f.length), 0);
  frames.length = 0;
  const chunks: Uint8Array[] = [];
  for (let at = 0; at < all.length; at += 65_536) chunks.push(all.subarray(at, at + 65_536));
  return chunks;
}
