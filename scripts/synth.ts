/**
 * Makes large, realistic recentchange stream files from the recordings, deterministically by
 * seed: fresh ids, times spread over a span, bounded disorder, late events, re-sent
 * duplicates, canaries and bad events. Writes `.jsonl` or `.sse` plus `PATH.manifest.json`.
 *
 *   deno run -A scripts/synth.ts --out PATH(.jsonl|.sse) [--events 5000] [--seed 1]
 *     [--start 2026-01-01T00:00:00Z] [--span 2h] [--disorder 60s] [--late-share 0.02]
 *     [--late-by 20m] [--duplicates 0.01] [--canaries 0.005] [--bad 0.005]
 *     [--topic eqiad.mediawiki.recentchange] [--partition 0] [--first-offset 1000000]
 *     [--from RECORDING]... [--quiet]
 * @module
 */

import { parseArgs } from "node:util";
import { parseCount, parseDuration, parseShare, parseTimeMs } from "./lib/cli_values.ts";
import { ManifestTally, type SynthManifest } from "./lib/synth_manifest.ts";
import { loadTemplates } from "./lib/synth_events.ts";
import { generateSynthLines, type SynthLine, type SynthOptions } from "./lib/synth_stream.ts";
import { DEFAULT_FILES, loadReplayFrames } from "./lib/recordings.ts";

/** Options of `runSynth`: the generator's options plus where to write and what to read. */
export interface SynthRunOptions extends SynthOptions {
  out: string;
  /** Recordings to draw templates from (default: the three recordings). */
  from?: string[];
  quiet?: boolean;
  log?: (line: string) => void;
}

const encoder = new TextEncoder();
const BUFFER_BYTES = 4 << 20;

/** Generates the stream file and its manifest; resolves to the manifest. */
export async function runSynth(options: SynthRunOptions): Promise<SynthManifest> {
  const format = options.out.endsWith(".sse") ? "sse" : options.out.endsWith(".jsonl") ? "jsonl" : null;
  if (format === null) throw new TypeError(`--out "${options.out}" must end with .jsonl or .sse`);
  const templates = loadTemplates(await loadReplayFrames(options.from ?? DEFAULT_FILES));
  const log = options.quiet ? () => {} : options.log ?? ((line: string) => console.error(line));
  const tally = new ManifestTally();
  const writer = new LineWriter(await Deno.open(options.out, { write: true, create: true, truncate: true }));
  const started = performance.now();
  try {
    for (const line of generateSynthLines(options, templates)) {
      tally.add(line);
      if (format === "sse") await writer.write(sseHead(options, line));
      await writer.write(line.payload);
      await writer.write(format === "sse" ? "\n\n" : "\n");
      if (tally.lines % 100_000 === 0 && tally.lines < options.events) {
        log(progressLine(tally.lines, options.events, started));
      }
    }
    await writer.flush();
  } finally {
    writer.close();
  }
  const manifest = tally.toManifest(options.out, format, options);
  await Deno.writeTextFile(`${options.out}.manifest.json`, JSON.stringify(manifest, null, 2) + "\n");
  log(`${progressLine(tally.lines, tally.lines, started)}; wrote ${options.out} and its manifest`);
  return manifest;
}

function sseHead(options: SynthOptions, line: SynthLine): string {
  const id = JSON.stringify([{ topic: options.topic, partition: options.partition, offset: line.offset }]);
  return `event: message\nid: ${id}\ndata: `;
}

function progressLine(done: number, total: number, startedMs: number): string {
  const seconds = (performance.now() - startedMs) / 1000;
  return `synth: ${done}/${total} events, ${seconds.toFixed(1)} s, ${
    Math.round(done / Math.max(seconds, 0.001))
  }/s`;
}

/** Encodes lines into a large buffer and writes it when full; bytes (invalid UTF-8) are copied as they are. */
class LineWriter {
  #buffer = new Uint8Array(BUFFER_BYTES);
  #used = 0;
  constructor(readonly file: Deno.FsFile) {}

  /** Appends text or bytes; resolves at once unless the buffer had to be written. */
  async write(piece: string | Uint8Array): Promise<void> {
    if (typeof piece !== "string") {
      if (this.#used + piece.length > this.#buffer.length) await this.flush();
      if (piece.length > this.#buffer.length) return await this.#writeAll(piece);
      this.#buffer.set(piece, this.#used);
      this.#used += piece.length;
      return;
    }
    // UTF-8 needs at most 3 bytes per UTF-16 code unit.
    if (this.#used + piece.length * 3 > this.#buffer.length) await this.flush();
    if (piece.length * 3 > this.#buffer.length) return await this.#writeAll(encoder.encode(piece));
    this.#used += encoder.encodeInto(piece, this.#buffer.subarray(this.#used)).written;
  }

  /** Writes what is buffered. */
  async flush(): Promise<void> {
    await this.#writeAll(this.#buffer.subarray(0, this.#used));
    this.#used = 0;
  }

  close(): void {
    this.file.close();
  }

  async #writeAll(bytes: Uint8Array): Promise<void> {
    for (let written = 0; written < bytes.length;) written += await this.file.write(bytes.subarray(written));
  }
}

/** Parses the command line into `runSynth` options. */
export function parseSynthArgs(args: string[]): SynthRunOptions {
  const { values } = parseArgs({
    args,
    options: {
      out: { type: "string" },
      events: { type: "string", default: "5000" },
      seed: { type: "string", default: "1" },
      start: { type: "string", default: "2026-01-01T00:00:00Z" },
      span: { type: "string", default: "2h" },
      disorder: { type: "string", default: "60s" },
      "late-share": { type: "string", default: "0.02" },
      "late-by": { type: "string", default: "20m" },
      duplicates: { type: "string", default: "0.01" },
      canaries: { type: "string", default: "0.005" },
      bad: { type: "string", default: "0.005" },
      topic: { type: "string", default: "eqiad.mediawiki.recentchange" },
      partition: { type: "string", default: "0" },
      "first-offset": { type: "string", default: "1000000" },
      from: { type: "string", multiple: true },
      quiet: { type: "boolean", default: false },
    },
    strict: true,
  });
  if (!values.out) throw new TypeError("--out PATH (.jsonl or .sse) is required");
  const startMs = parseTimeMs(values.start);
  if (startMs === null) throw new RangeError(`Invalid --start "${values.start}": expected ISO-8601`);
  const spanMs = parseDuration(values.span);
  if (spanMs <= 0) throw new RangeError("--span must be positive");
  return {
    out: values.out,
    events: parseCount(values.events, "events"),
    seed: values.seed,
    startMs,
    spanMs,
    disorderMs: parseDuration(values.disorder),
    lateShare: parseShare(values["late-share"], "late-share"),
    lateByMs: parseDuration(values["late-by"]),
    duplicates: parseShare(values.duplicates, "duplicates"),
    canaries: parseShare(values.canaries, "canaries"),
    bad: parseShare(values.bad, "bad"),
    topic: values.topic,
    partition: parseCount(values.partition, "partition"),
    firstOffset: parseCount(values["first-offset"], "first-offset"),
    from: values.from,
    quiet: values.quiet,
  };
}

const USAGE = `Usage: deno run -A scripts/synth.ts --out PATH.jsonl|PATH.sse [options]
  --events N (5000)  --seed S (1)  --start ISO (2026-01-01T00:00:00Z)  --span D (2h; units ms s m h d)
  --disorder D (60s)  --late-share X (0.02)  --late-by D (20m)  --duplicates X (0.01)
  --canaries X (0.005)  --bad X (0.005)  --topic T (eqiad.mediawiki.recentchange)  --partition N (0)
  --first-offset N (1000000)  --from RECORDING (repeatable; default the three recordings)  --quiet
Shares X are fractions of --events (the total number of lines). Also writes PATH.manifest.json.`;

if (import.meta.main) {
  if (Deno.args.includes("--help") || Deno.args.includes("-h")) {
    console.log(USAGE);
    Deno.exit(0);
  }
  try {
    await runSynth(parseSynthArgs(Deno.args));
  } catch (error) {
    console.error(`synth: ${(error as Error).message}\n${USAGE}`);
    Deno.exit(1);
  }
}
