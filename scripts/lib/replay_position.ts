/**
 * Pure decisions about where a replay connection starts (Last-Event-ID, `?since=`) and when
 * each frame is due (pacing). The replay is one ordered sequence of frames; a start position
 * is an index into it.
 * @module
 */

import { parseTimeMs } from "./cli_values.ts";
import { isPlainObject, type PositionKey, type ReplayFrame } from "./replay_frames.ts";

/** Where a connection starts, and why. */
export type StartPlan =
  | { ok: true; index: number; note: string; warning?: string }
  | { ok: false; status: 400; message: string };

/** What a client asked for: the `Last-Event-ID` header and the `since` query parameter. */
export interface StartRequest {
  lastEventId: string | null;
  since: string | null;
}

/** Parses a Last-Event-ID value; `null` when it is not a JSON array of positions. */
export function parseLastEventId(text: string): PositionKey[] | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return null;
  }
  if (!Array.isArray(parsed)) return null;
  const entries: PositionKey[] = [];
  for (const entry of parsed) {
    if (!isPlainObject(entry) || typeof entry.topic !== "string" || !Number.isInteger(entry.partition)) {
      return null;
    }
    const base = { topic: entry.topic, partition: entry.partition as number };
    if (Number.isInteger(entry.offset)) entries.push({ ...base, offset: entry.offset as number });
    else if (typeof entry.timestamp === "number" && Number.isFinite(entry.timestamp)) {
      entries.push({ ...base, timestamp: entry.timestamp });
    } else return null;
  }
  return entries;
}

/**
 * Finds the index to resume at for Last-Event-ID entries, like Kafka behind EventStreams:
 * an offset entry resumes after that offset in its topic-partition, a timestamp entry at the
 * first frame of its topic-partition whose timestamp is ≥ it (same-millisecond frames are
 * served again). Offset -1 entries are ignored. With several matching entries the earliest
 * index wins, so nothing is skipped. `null` when no entry matches any frame.
 */
export function findResumeIndex(
  frames: readonly ReplayFrame[],
  entries: readonly PositionKey[],
): number | null {
  let best: number | null = null;
  for (const entry of entries) {
    const index = entry.offset !== undefined
      ? (entry.offset < 0 ? null : resumeAfterOffset(frames, entry, entry.offset))
      : resumeAtTimestamp(frames, entry, entry.timestamp ?? 0);
    if (index !== null && (best === null || index < best)) best = index;
  }
  return best;
}

function resumeAfterOffset(
  frames: readonly ReplayFrame[],
  entry: PositionKey,
  offset: number,
): number | null {
  let seen = false;
  let firstGreater: number | null = null;
  for (let i = 0; i < frames.length; i++) {
    const key = frames[i].keys.find((k) => sameTopicPartition(k, entry) && k.offset !== undefined);
    if (key === undefined) continue;
    seen = true;
    if (key.offset === offset) return i + 1;
    if (firstGreater === null && key.offset! > offset) firstGreater = i;
  }
  if (!seen) return null;
  return firstGreater ?? frames.length;
}

function resumeAtTimestamp(
  frames: readonly ReplayFrame[],
  entry: PositionKey,
  timestamp: number,
): number | null {
  let seen = false;
  for (let i = 0; i < frames.length; i++) {
    const time = frameTimestamp(frames[i], entry);
    if (time === undefined) continue;
    seen = true;
    if (time !== null && time >= timestamp) return i;
  }
  return seen ? frames.length : null;
}

/**
 * The Kafka timestamp of a frame in a topic-partition: the id's timestamp, else (offset ids)
 * the event time. `undefined` when the frame is not in that topic-partition.
 */
function frameTimestamp(frame: ReplayFrame, entry: PositionKey): number | null | undefined {
  let inPartition = false;
  for (const key of frame.keys) {
    if (!sameTopicPartition(key, entry)) continue;
    if (key.timestamp !== undefined) return key.timestamp;
    inPartition = true;
  }
  return inPartition ? frame.eventTimeMs : undefined;
}

function sameTopicPartition(a: PositionKey, b: PositionKey): boolean {
  return a.topic === b.topic && a.partition === b.partition;
}

/** Finds the first frame whose event time is ≥ `sinceMs` (frames without a time never match). */
export function findSinceIndex(frames: readonly ReplayFrame[], sinceMs: number): number {
  const index = frames.findIndex((frame) => frame.eventTimeMs !== null && frame.eventTimeMs >= sinceMs);
  return index === -1 ? frames.length : index;
}

/** Decides where a connection starts: Last-Event-ID wins over `since`, else the beginning. */
export function planStart(frames: readonly ReplayFrame[], request: StartRequest): StartPlan {
  const lastEventId = request.lastEventId?.trim() ?? "";
  if (lastEventId !== "") {
    const entries = parseLastEventId(lastEventId);
    if (entries === null) {
      return { ok: true, index: 0, note: "start", warning: `unparseable Last-Event-ID ${lastEventId}` };
    }
    const index = findResumeIndex(frames, entries);
    if (index === null) {
      return {
        ok: true,
        index: 0,
        note: "start",
        warning: `Last-Event-ID matches no served event: ${lastEventId}`,
      };
    }
    return { ok: true, index, note: `Last-Event-ID ${lastEventId}` };
  }
  if (request.since !== null && request.since !== "") {
    const sinceMs = parseTimeMs(request.since);
    if (sinceMs === null) {
      return {
        ok: false,
        status: 400,
        message: `Invalid since "${request.since}": expected ISO-8601 or epoch ms`,
      };
    }
    return {
      ok: true,
      index: findSinceIndex(frames, sinceMs),
      note: `since ${new Date(sinceMs).toISOString()}`,
    };
  }
  return { ok: true, index: 0, note: "start" };
}

/**
 * Computes each frame's due time in replay milliseconds (at speed 1). Within one input file the
 * clock follows the largest event time seen so far, so out-of-order and late events are served
 * at once instead of rewinding the clock; a new file starts without a gap.
 */
export function computePaceOffsets(frames: readonly ReplayFrame[]): Float64Array {
  const pace = new Float64Array(frames.length);
  let clock = 0;
  let source = -1;
  let maxTime: number | null = null;
  frames.forEach((frame, index) => {
    if (frame.source !== source) {
      source = frame.source;
      maxTime = null;
    }
    const time = frame.eventTimeMs;
    if (time !== null) {
      if (maxTime !== null && time > maxTime) clock += time - maxTime;
      if (maxTime === null || time > maxTime) maxTime = time;
    }
    pace[index] = clock;
  });
  return pace;
}
