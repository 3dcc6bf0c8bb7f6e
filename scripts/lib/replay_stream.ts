/**
 * One replay connection as a pull-based byte stream: frames are produced only when the
 * HTTP layer asks for more (backpressure), paced by event time unless the speed is `max`,
 * with keep-alive comments while idle and optional cuts: after N events, or after a number of
 * bytes (which may end the connection mid-frame, mid-line or mid-character, like a real cut).
 * @module
 */

import { encodeComment, encodeFrame, type ReplayFrame } from "./replay_frames.ts";

/** Why a replay connection ended. */
export type CloseReason = "cut" | "end" | "client" | "server";

/** What one connection serves and how. */
export interface ReplayStreamOptions {
  frames: readonly ReplayFrame[];
  /** Due times from `computePaceOffsets`. */
  pace: Float64Array;
  startIndex: number;
  /** Multiple of real time, or `"max"` for as fast as the reader takes it. */
  speed: number | "max";
  /** Close after this many events on the connection (0: never). */
  cutEvery: number;
  /** Close after exactly this many body bytes on the connection, `:ok` included (0: never). */
  cutAfterBytes?: number;
  /** Start again from the first frame after the last one. */
  loop: boolean;
  /** Close at the end of the input instead of idling with keep-alives. */
  closeAtEnd: boolean;
  keepAliveMs: number;
  /** Called after each chunk with the number of events in it and the index of the next frame. */
  onServed: (events: number, nextIndex: number, lastId: string) => void;
  onClose: (reason: CloseReason, servedHere: number, nextIndex: number) => void;
}

/** A connection's body stream and a handle that ends it from the server side. */
export interface ReplayStream {
  body: ReadableStream<Uint8Array>;
  stop(): void;
}

const CHUNK_BYTES = 64 * 1024;
const KEEP_ALIVE = encodeComment(" keep-alive");

/** Creates the body stream of one SSE connection; it starts with `:ok` like Wikimedia's. */
export function createReplayStream(options: ReplayStreamOptions): ReplayStream {
  const { frames, pace, speed } = options;
  const abort = new AbortController();
  let next = options.startIndex;
  let servedHere = 0;
  let bytesHere = 0;
  const byteBudget = options.cutAfterBytes && options.cutAfterBytes > 0 ? options.cutAfterBytes : Infinity;
  let wallStart = performance.now();
  let paceBase = pace[next] ?? 0;
  let controllerRef: ReadableStreamDefaultController<Uint8Array> | null = null;
  let finished = false;

  const finish = (reason: CloseReason) => {
    if (finished) return;
    finished = true;
    abort.abort();
    try {
      controllerRef?.close();
    } catch {
      // The stream is already closed or errored; nothing left to end.
    }
    options.onClose(reason, servedHere, next);
  };
  /** Enqueues what the byte budget allows and returns how many bytes that was. */
  const emit = (controller: ReadableStreamDefaultController<Uint8Array>, bytes: Uint8Array) => {
    const part = bytes.subarray(0, Math.min(bytes.length, byteBudget - bytesHere));
    if (part.length > 0) controller.enqueue(part);
    bytesHere += part.length;
    return part.length;
  };
  const spent = () => bytesHere >= byteBudget;
  const dueAt = (index: number) => speed === "max" ? 0 : wallStart + (pace[index] - paceBase) / speed;

  const pull = async (controller: ReadableStreamDefaultController<Uint8Array>) => {
    if (finished) return;
    if (next >= frames.length) {
      if (options.loop && frames.length > 0) {
        next = 0;
        wallStart = performance.now();
        paceBase = pace[0];
      } else if (options.closeAtEnd) return finish("end");
      else {
        if (await sleep(options.keepAliveMs, abort.signal)) emit(controller, KEEP_ALIVE);
        if (spent()) finish("cut");
        return;
      }
    }
    const wait = dueAt(next) - performance.now();
    if (wait > 0) {
      const idle = wait > options.keepAliveMs;
      if (!await sleep(Math.min(wait, options.keepAliveMs), abort.signal)) return;
      if (idle) {
        emit(controller, KEEP_ALIVE);
        return spent() ? finish("cut") : undefined;
      }
    }
    const first = next;
    const { chunk, ends } = takeBatch();
    const sentBytes = emit(controller, chunk);
    // Only frames whose last byte went out count as served; a frame cut short is served again on resume.
    const served = ends.filter((end) => end <= sentBytes).length;
    next = first + served;
    servedHere -= ends.length - served;
    if (served > 0) options.onServed(served, next, frames[next - 1].id);
    if (spent() || (options.cutEvery > 0 && servedHere >= options.cutEvery)) finish("cut");
    else if (next >= frames.length && options.closeAtEnd && !options.loop) finish("end");
  };

  const takeBatch = () => {
    const parts: Uint8Array[] = [];
    const ends: number[] = [];
    let size = 0;
    const now = performance.now();
    do {
      const bytes = encodeFrame(frames[next]);
      parts.push(bytes);
      size += bytes.length;
      ends.push(size);
      next++;
      servedHere++;
    } while (
      next < frames.length && size < CHUNK_BYTES && size < byteBudget - bytesHere && dueAt(next) <= now &&
      !(options.cutEvery > 0 && servedHere >= options.cutEvery)
    );
    return { chunk: concat(parts, size), ends };
  };

  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      controllerRef = controller;
      emit(controller, encodeComment("ok"));
      if (spent()) finish("cut");
    },
    pull,
    cancel() {
      finish("client");
    },
  }, { highWaterMark: 0 });
  return { body, stop: () => finish("server") };
}

/** Sleeps; resolves `false` early when the signal aborts. */
function sleep(ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const onAbort = () => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve(true);
    }, Math.max(0, ms));
    signal.addEventListener("abort", onAbort, { once: true });
  });
}

function concat(parts: Uint8Array[], size: number): Uint8Array {
  if (parts.length === 1) return parts[0];
  const out = new Uint8Array(size);
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}
