/**
 * The synthetic stream generator: exact counts of each kind of line, event times spread over
 * a span, bounded arrival disorder, late events and re-sent duplicates, in arrival order with
 * consecutive offsets. Streams lazily (memory bounded by the disorder window).
 * @module
 */

import { MinHeap } from "./min_heap.ts";
import { createRng, type Rng } from "./prng.ts";
import { BAD_KINDS, type BadKind, makeBadEvent } from "./synth_bad.ts";
import { makeCanaryEvent, makeValidEvent, SynthState, type Template } from "./synth_events.ts";

/** What to generate; shares are fractions of `events` (the total number of lines). */
export interface SynthOptions {
  events: number;
  startMs: number;
  spanMs: number;
  disorderMs: number;
  lateShare: number;
  lateByMs: number;
  duplicates: number;
  canaries: number;
  bad: number;
  topic: string;
  partition: number;
  firstOffset: number;
  seed: string;
}

/** What kind of line a synthetic line is. */
export type LineKind = "valid" | "duplicate" | "canary" | "bad";

/** One output line, in arrival order. */
export interface SynthLine {
  offset: number;
  kind: LineKind;
  badKind?: BadKind;
  /** The line's text, or its bytes when it holds invalid UTF-8. */
  payload: string | Uint8Array;
  /** `meta.id` of valid, duplicate and canary lines. */
  metaId?: string;
  /** The generated event time (also for bad events whose time field is broken). */
  eventTimeMs: number;
  late: boolean;
}

/** How many lines of each kind `options` asks for. */
export interface SynthCounts {
  valid: number;
  duplicates: number;
  canaries: number;
  bad: number;
  late: number;
}

interface Pending {
  kind: Exclude<LineKind, "duplicate">;
  badKind?: BadKind;
  event?: Record<string, any>;
  raw?: string | Uint8Array;
  timeMs: number;
  late: boolean;
}

const RESEND_WINDOW = 2_000;

/** Computes the exact number of lines of each kind (shares rounded to the nearest line). */
export function computeCounts(options: SynthOptions): SynthCounts {
  const duplicates = Math.round(options.events * options.duplicates);
  const canaries = Math.round(options.events * options.canaries);
  const bad = Math.round(options.events * options.bad);
  const valid = options.events - duplicates - canaries - bad;
  if (valid < 1) throw new RangeError("--duplicates + --canaries + --bad leave no valid events");
  return { valid, duplicates, canaries, bad, late: Math.round(valid * options.lateShare) };
}

/** Draws kinds without replacement so that each kind occurs exactly its count. */
function createKindDrawer<K extends string>(counts: Record<K, number>, rng: Rng): () => K {
  const remaining = { ...counts };
  let total = Object.values<number>(remaining).reduce((sum, n) => sum + n, 0);
  return () => {
    let roll = rng.int(total);
    for (const kind of Object.keys(remaining) as K[]) {
      if (roll < remaining[kind]) {
        remaining[kind]--;
        total--;
        return kind;
      }
      roll -= remaining[kind];
    }
    throw new RangeError("No kinds left to draw");
  };
}

/** Generates the lines of a synthetic stream in arrival order. */
export function* generateSynthLines(
  options: SynthOptions,
  templates: readonly Template[],
): Generator<SynthLine> {
  const rng = createRng(options.seed);
  const counts = computeCounts(options);
  const state = new SynthState(
    templates,
    rng,
    Math.min(20_000, Math.max(50, Math.round(options.events / 50))),
  );
  const original = counts.valid + counts.canaries + counts.bad;
  const drawKind = createKindDrawer({ valid: counts.valid, canary: counts.canaries, bad: counts.bad }, rng);
  const drawLate = createKindDrawer({ late: counts.late, onTime: counts.valid - counts.late }, rng);
  const badOrder = shuffle([...BAD_KINDS], rng);
  const heap = new MinHeap<Pending>();
  const recent: Record<string, any>[] = [];
  let offset = options.firstOffset;
  let duplicatesLeft = counts.duplicates;
  let badMade = 0;

  function* emit(item: Pending): Generator<SynthLine> {
    while (
      duplicatesLeft > 0 && recent.length > 0 &&
      rng.int(options.events - (offset - options.firstOffset)) < duplicatesLeft
    ) {
      duplicatesLeft--;
      yield resend(rng.pick(recent));
    }
    yield toLine(item);
    if (item.kind === "valid") {
      if (recent.length >= RESEND_WINDOW) recent[rng.int(RESEND_WINDOW)] = item.event!;
      else recent.push(item.event!);
    }
  }
  function resend(event: Record<string, any>): SynthLine {
    event.meta.offset = offset;
    const time = Date.parse(event.meta.dt);
    return {
      offset: offset++,
      kind: "duplicate",
      payload: JSON.stringify(event),
      metaId: event.meta.id,
      eventTimeMs: time,
      late: false,
    };
  }
  function toLine(item: Pending): SynthLine {
    const line: SynthLine = {
      offset,
      kind: item.kind,
      payload: item.raw ?? "",
      eventTimeMs: item.timeMs,
      late: item.late,
    };
    if (item.badKind) line.badKind = item.badKind;
    if (item.event) {
      item.event.meta.offset = offset;
      line.payload = JSON.stringify(item.event);
      if (item.kind !== "bad") line.metaId = item.event.meta.id;
    }
    offset++;
    return line;
  }

  for (let i = 0; i < original; i++) {
    const timeMs = options.startMs + Math.floor(options.spanMs * (i + rng.next()) / original);
    const item = makePending(drawKind(), timeMs);
    // Arrival key: event time plus a skewed jitter ≤ disorder; late events come after the disorder bound.
    const jitter = options.disorderMs * rng.next() ** 2;
    const key = item.late
      ? timeMs + options.disorderMs + options.lateByMs * (0.5 + 0.5 * rng.next())
      : timeMs + jitter;
    heap.push(key, item);
    while (heap.size > 0 && heap.peekKey()! <= timeMs) yield* emit(heap.pop()!);
  }
  while (heap.size > 0) yield* emit(heap.pop()!);
  while (duplicatesLeft > 0 && recent.length > 0) {
    duplicatesLeft--;
    yield resend(rng.pick(recent));
  }

  function makePending(kind: "valid" | "canary" | "bad", timeMs: number): Pending {
    const context = { timeMs, topic: options.topic, partition: options.partition };
    if (kind === "canary") return { kind, event: makeCanaryEvent(rng, context), timeMs, late: false };
    const event = makeValidEvent(rng.pick(templates), state, rng, context);
    if (kind === "valid") return { kind, event, timeMs, late: drawLate() === "late" };
    const bad = makeBadEvent(badOrder[badMade++ % badOrder.length], event, rng);
    return "raw" in bad
      ? { kind, badKind: bad.kind, raw: bad.raw, timeMs, late: false }
      : { kind, badKind: bad.kind, event: bad.event, timeMs, late: false };
  }
}

/** Fisher–Yates shuffle in place. */
function shuffle<T>(items: T[], rng: Rng): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [items[i], items[j]] = [items[j], items[i]];
  }
  return items;
}
