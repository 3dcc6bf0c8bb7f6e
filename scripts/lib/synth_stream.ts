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
export function generateSynthLines(
  options: SynthOptions,
  templates: readonly Template[],
): Generator<SynthLine> {
  return new SynthStream(options, templates).lines();
}

/**
 * Events are made in event-time order and held in a heap keyed by arrival time (event time
 * plus a jitter ≤ disorder, or beyond it for late events); an event leaves the heap once no
 * later-made event can arrive before it. Re-sent copies of recent events are slotted in
 * between, with exact counts.
 */
class SynthStream {
  readonly #options: SynthOptions;
  readonly #templates: readonly Template[];
  readonly #rng: Rng;
  readonly #counts: SynthCounts;
  readonly #state: SynthState;
  readonly #drawKind: () => "valid" | "canary" | "bad";
  readonly #drawLate: () => "late" | "onTime";
  readonly #badOrder: BadKind[];
  readonly #heap = new MinHeap<Pending>();
  readonly #recent: Record<string, any>[] = [];
  #offset: number;
  #duplicatesLeft: number;
  #badMade = 0;
  readonly #badSerial = new Map<BadKind, number>();

  constructor(options: SynthOptions, templates: readonly Template[]) {
    this.#options = options;
    this.#templates = templates;
    this.#rng = createRng(options.seed);
    const counts = this.#counts = computeCounts(options);
    const anonymousPool = Math.min(20_000, Math.max(50, Math.round(options.events / 50)));
    this.#state = new SynthState(templates, this.#rng, anonymousPool);
    this.#drawKind = createKindDrawer(
      { valid: counts.valid, canary: counts.canaries, bad: counts.bad },
      this.#rng,
    );
    this.#drawLate = createKindDrawer({ late: counts.late, onTime: counts.valid - counts.late }, this.#rng);
    this.#badOrder = shuffle([...BAD_KINDS], this.#rng);
    this.#offset = options.firstOffset;
    this.#duplicatesLeft = counts.duplicates;
  }

  *lines(): Generator<SynthLine> {
    const { startMs, spanMs } = this.#options;
    const original = this.#counts.valid + this.#counts.canaries + this.#counts.bad;
    const heap = this.#heap;
    for (let i = 0; i < original; i++) {
      const timeMs = startMs + Math.floor(spanMs * (i + this.#rng.next()) / original);
      const item = this.#makePending(this.#drawKind(), timeMs);
      heap.push(this.#arrivalKey(item), item);
      while (heap.size > 0 && heap.peekKey()! <= timeMs) yield* this.#emit(heap.pop()!);
    }
    while (heap.size > 0) yield* this.#emit(heap.pop()!);
    while (this.#duplicatesLeft > 0 && this.#recent.length > 0) yield this.#resend();
  }

  /** Event time plus a skewed jitter ≤ disorder; late events come after the disorder bound. */
  #arrivalKey(item: Pending): number {
    const { disorderMs, lateByMs } = this.#options;
    if (item.late) return item.timeMs + disorderMs + lateByMs * (0.5 + 0.5 * this.#rng.next());
    return item.timeMs + disorderMs * this.#rng.next() ** 2;
  }

  *#emit(item: Pending): Generator<SynthLine> {
    // Each remaining output slot holds a re-sent copy with probability duplicatesLeft / slotsLeft.
    const slotsLeft = () => this.#options.events - (this.#offset - this.#options.firstOffset);
    while (
      this.#duplicatesLeft > 0 && this.#recent.length > 0 && this.#rng.int(slotsLeft()) < this.#duplicatesLeft
    ) {
      yield this.#resend();
    }
    yield this.#toLine(item);
    if (item.kind !== "valid") return;
    if (this.#recent.length >= RESEND_WINDOW) this.#recent[this.#rng.int(RESEND_WINDOW)] = item.event!;
    else this.#recent.push(item.event!);
  }

  #resend(): SynthLine {
    this.#duplicatesLeft--;
    const event = this.#rng.pick(this.#recent);
    event.meta.offset = this.#offset;
    const payload = JSON.stringify(event);
    const eventTimeMs = Date.parse(event.meta.dt);
    return {
      offset: this.#offset++,
      kind: "duplicate",
      payload,
      metaId: event.meta.id,
      eventTimeMs,
      late: false,
    };
  }

  #toLine(item: Pending): SynthLine {
    const line: SynthLine = {
      offset: this.#offset,
      kind: item.kind,
      payload: item.raw ?? "",
      eventTimeMs: item.timeMs,
      late: item.late,
    };
    if (item.badKind) line.badKind = item.badKind;
    if (item.event) {
      item.event.meta.offset = this.#offset;
      line.payload = JSON.stringify(item.event);
      if (item.kind !== "bad") line.metaId = item.event.meta.id;
    }
    this.#offset++;
    return line;
  }

  #makePending(kind: "valid" | "canary" | "bad", timeMs: number): Pending {
    const rng = this.#rng;
    const context = { timeMs, topic: this.#options.topic, partition: this.#options.partition };
    if (kind === "canary") return { kind, event: makeCanaryEvent(rng, context), timeMs, late: false };
    const event = makeValidEvent(rng.pick(this.#templates), this.#state, rng, context);
    if (kind === "valid") return { kind, event, timeMs, late: this.#drawLate() === "late" };
    const badKind = this.#badOrder[this.#badMade++ % this.#badOrder.length];
    const serial = this.#badSerial.get(badKind) ?? 0;
    this.#badSerial.set(badKind, serial + 1);
    const bad = makeBadEvent(badKind, event, rng, serial);
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
