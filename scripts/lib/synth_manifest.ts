/**
 * Counts what a synthetic stream file holds, for its `PATH.manifest.json` sidecar.
 * @module
 */

import { basename } from "node:path";
import { BAD_KINDS, type BadKind } from "./synth_bad.ts";
import type { SynthLine, SynthOptions } from "./synth_stream.ts";

/** The sidecar manifest of a synthetic stream file. */
export interface SynthManifest {
  version: 1;
  generator: "scripts/synth.ts";
  file: string;
  format: "jsonl" | "sse";
  seed: string;
  options: Record<string, unknown>;
  lines: number;
  valid: number;
  canaries: number;
  duplicates: number;
  bad: { total: number; by_kind: Record<BadKind, number> };
  late: number;
  distinct_valid_meta_ids: number;
  offsets: { topic: string; partition: number; first: number | null; last: number | null };
  /** Event-time range of the valid (silver-bound) events. */
  event_time: { min: string | null; max: string | null; span_ms: number };
  /** The `/api/health` event counts a pipeline should reach after ingesting this file once. */
  expected_health: {
    received: number;
    canary: number;
    bronze: number;
    silver: number;
    quarantine: number;
    duplicate: number;
  };
}

/** Accumulates counts line by line. */
export class ManifestTally {
  lines = 0;
  valid = 0;
  canaries = 0;
  duplicates = 0;
  late = 0;
  badByKind = Object.fromEntries(BAD_KINDS.map((kind) => [kind, 0])) as Record<BadKind, number>;
  #firstOffset: number | null = null;
  #lastOffset: number | null = null;
  #minTime = Infinity;
  #maxTime = -Infinity;

  /** Counts one line. */
  add(line: SynthLine): void {
    this.lines++;
    this.#firstOffset ??= line.offset;
    this.#lastOffset = line.offset;
    if (line.kind === "valid") {
      this.valid++;
      if (line.late) this.late++;
      this.#minTime = Math.min(this.#minTime, line.eventTimeMs);
      this.#maxTime = Math.max(this.#maxTime, line.eventTimeMs);
    } else if (line.kind === "canary") this.canaries++;
    else if (line.kind === "duplicate") this.duplicates++;
    else this.badByKind[line.badKind!]++;
  }

  /** Builds the manifest. */
  toManifest(file: string, format: "jsonl" | "sse", options: SynthOptions): SynthManifest {
    const badTotal = Object.values(this.badByKind).reduce((sum, n) => sum + n, 0);
    const hasTimes = this.valid > 0;
    return {
      version: 1,
      generator: "scripts/synth.ts",
      file: basename(file),
      format,
      seed: options.seed,
      options: {
        events: options.events,
        start: new Date(options.startMs).toISOString(),
        span_ms: options.spanMs,
        disorder_ms: options.disorderMs,
        late_share: options.lateShare,
        late_by_ms: options.lateByMs,
        duplicates: options.duplicates,
        canaries: options.canaries,
        bad: options.bad,
        topic: options.topic,
        partition: options.partition,
        first_offset: options.firstOffset,
      },
      lines: this.lines,
      valid: this.valid,
      canaries: this.canaries,
      duplicates: this.duplicates,
      bad: { total: badTotal, by_kind: this.badByKind },
      late: this.late,
      distinct_valid_meta_ids: this.valid,
      offsets: {
        topic: options.topic,
        partition: options.partition,
        first: this.#firstOffset,
        last: this.#lastOffset,
      },
      event_time: {
        min: hasTimes ? new Date(this.#minTime).toISOString() : null,
        max: hasTimes ? new Date(this.#maxTime).toISOString() : null,
        span_ms: hasTimes ? this.#maxTime - this.#minTime : 0,
      },
      expected_health: {
        received: this.lines,
        canary: this.canaries,
        bronze: this.lines - this.canaries,
        silver: this.valid,
        quarantine: badTotal,
        duplicate: this.duplicates,
      },
    };
  }
}
