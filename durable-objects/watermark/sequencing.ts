/**
 * Ordered admission (core): the StreamIngestor numbers every queue message of an ingestion
 * epoch 0, 1, 2, … (write-ahead in its outbox, reused by every re-send), and the
 * WatermarkTracker judges messages strictly in that order, whatever order the queue delivers
 * them in. A message that arrives early is held until the gap before it is filled; a
 * dead-lettered message releases its number, so the gap closes without it (its events are
 * judged when it is replayed, against the watermark of that moment: late).
 *
 * The state is the next number expected and the numbers that are held (their rows wait) or
 * released (nothing will come). No runtime APIs here.
 * @module
 */

/** A message's place in its ingestion epoch. */
export interface SequenceTag {
  /** Identifies one ingestion epoch (an admin reset starts a new one). */
  epoch: string;
  /** 0-based, gap-free within the epoch. */
  seq: number;
}

/** What the tracker knows about the sequence. */
export interface SequenceState {
  /** The current epoch; null before the first sequenced message. */
  epoch: string | null;
  /** The next number to admit. */
  next: number;
  /** Numbers above `next` that arrived (held) or were released. */
  waiting: ReadonlyMap<number, "held" | "released">;
}

/** The verdict for one arriving message. */
export type Arrival =
  /** Admit it now (in this order with `drain`), then advance. */
  | { kind: "in_order"; drain: Drained }
  /** Hold it until `next` reaches its number. */
  | { kind: "hold" }
  /** Its number was passed already (released, or an old epoch's): judge it now, do not advance. */
  | { kind: "passed" }
  /** Its number was seen already (held): nothing to do. */
  | { kind: "duplicate" };

/** Numbers that become admissible, in order, and the new `next`. */
export interface Drained {
  /** Held numbers to admit now, ascending (released ones are skipped). */
  admit: number[];
  /** Released numbers passed over, ascending. */
  skipped: number[];
  next: number;
}

/** The initial state of a fresh epoch. */
export function initialSequence(epoch: string | null = null): SequenceState {
  return { epoch, next: 0, waiting: new Map() };
}

/** Whether `tag` belongs to the state's epoch (a fresh tracker adopts the first epoch it sees). */
export function sameEpoch(state: SequenceState, tag: SequenceTag): boolean {
  return state.epoch === null || state.epoch === tag.epoch;
}

/** Judges an arriving message by its number. */
export function arrive(state: SequenceState, tag: SequenceTag): Arrival {
  checkSeq(tag.seq);
  if (!sameEpoch(state, tag)) return { kind: "passed" };
  if (tag.seq < state.next) return { kind: "passed" };
  const waiting = state.waiting.get(tag.seq);
  if (waiting === "released") return { kind: "passed" }; // a replayed dead letter: judged now
  if (tag.seq > state.next) return waiting === "held" ? { kind: "duplicate" } : { kind: "hold" };
  return { kind: "in_order", drain: drainFrom(state.waiting, tag.seq + 1) };
}

/**
 * Releases number `seq` (its message was dead-lettered). Returns the drain when it was the
 * next expected number, "record" when it lies above `next`, "passed" when it was passed or is
 * held (a message the tracker holds needs no release).
 */
export function release(state: SequenceState, seq: number): { kind: "advance"; drain: Drained } | {
  kind: "record";
} | { kind: "passed" } {
  checkSeq(seq);
  // Passed already, or its rows are held (the tracker has them: they are admitted in order).
  if (seq < state.next || state.waiting.has(seq)) return { kind: "passed" };
  if (seq > state.next) return { kind: "record" };
  return { kind: "advance", drain: drainFrom(state.waiting, seq + 1) };
}

/** The held and released numbers from `from` on, until the first missing one. */
export function drainFrom(waiting: ReadonlyMap<number, "held" | "released">, from: number): Drained {
  const admit: number[] = [];
  const skipped: number[] = [];
  let next = from;
  for (let kind = waiting.get(next); kind !== undefined; kind = waiting.get(next)) {
    (kind === "held" ? admit : skipped).push(next);
    next++;
  }
  return { admit, skipped, next };
}

/**
 * Whether the oldest gap is older than `maxMs`: something is held and has waited longer than
 * the bound for the number before it. `oldestHeldAt` is when the oldest held message arrived.
 */
export function gapTooOld(oldestHeldAt: number | null, now: number, maxMs: number): boolean {
  return oldestHeldAt !== null && now - oldestHeldAt > maxMs;
}

/** Reads the wrangler var ADMISSION_GAP_MAX_SECONDS (default 15 minutes, 1 s … 7 days). */
export function gapBoundMs(value: string | undefined): number {
  const seconds = Number(value ?? "900");
  if (!Number.isFinite(seconds) || seconds < 1 || seconds > 7 * 86_400) return 900_000;
  return Math.round(seconds * 1000);
}

/** The health reasons of the admission: a gap older than the bound holds messages back. */
export function admissionReasons(
  report: { next_seq: number; held: number; oldest_held_at: number | null },
  now: number,
  maxMs: number,
): string[] {
  if (!gapTooOld(report.oldest_held_at, now, maxMs)) return [];
  return [
    `admission gap: message ${report.next_seq} has been missing for over ${
      Math.round(maxMs / 1000)
    } s; ${report.held} newer message(s) are held (the watermark waits; a dead letter releases it)`,
  ];
}

function checkSeq(seq: number): void {
  if (!Number.isSafeInteger(seq) || seq < 0) {
    throw new RangeError(`seq must be a non-negative integer, got ${seq}`);
  }
}
