/**
 * Pure parsing of replay inputs (`.sse` recordings and `.jsonl` event files) into frames that
 * the replay server can serve, resume from and pace. Works on bytes: a line with invalid UTF-8
 * is kept exactly as recorded.
 * @module
 */

/** One Kafka position carried by an SSE `id:` (offset entries of -1 are left out). */
export interface PositionKey {
  topic: string;
  partition: number;
  offset?: number;
  timestamp?: number;
}

/** One servable event: its SSE id text, its data bytes and what resume and pacing need. */
export interface ReplayFrame {
  /** The SSE `id:` value, a JSON array like Wikimedia's. */
  id: string;
  /** The event data exactly as recorded (several SSE `data:` lines joined by `\n`). */
  data: Uint8Array;
  /** Event time from `meta.dt` (else `timestamp` × 1000); `null` when neither parses. */
  eventTimeMs: number | null;
  /** Positions parsed from `id`. */
  keys: PositionKey[];
  /** Index of the input file the frame came from. */
  source: number;
}

/** Topic of the ids the server makes for lines that are not JSON objects. */
export const INVALID_TOPIC = "replay.invalid";
/** Topic used for a `.jsonl` event without `meta.topic`. */
export const DEFAULT_TOPIC = "eqiad.mediawiki.recentchange";

const LF = 0x0a;
const CR = 0x0d;
const COLON = 0x3a;
const SPACE = 0x20;
const decoder = new TextDecoder();
const encoder = new TextEncoder();

/** Reads the event time of a parsed event: `meta.dt` when it parses, else `timestamp` × 1000. */
export function readEventTimeMs(event: unknown): number | null {
  if (!isPlainObject(event)) return null;
  const meta = event.meta;
  if (isPlainObject(meta) && typeof meta.dt === "string") {
    const ms = parseIsoMs(meta.dt);
    if (ms !== null) return ms;
  }
  const seconds = event.timestamp;
  return typeof seconds === "number" && Number.isFinite(seconds) ? seconds * 1000 : null;
}

/** Parses a strict ISO-8601 date-time (`YYYY-MM-DDTHH:MM…`) into epoch ms; `null` otherwise. */
export function parseIsoMs(text: string): number | null {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/.test(text)) return null;
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? null : ms;
}

/** Tells whether a value is a JSON object (not an array, not null). */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Parses an SSE `id:` value (a JSON array of `{topic, partition, offset|timestamp}`) into keys. */
export function parseIdKeys(id: string): PositionKey[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(id);
  } catch {
    return [];
  }
  if (!Array.isArray(parsed)) return [];
  const keys: PositionKey[] = [];
  for (const entry of parsed) {
    if (!isPlainObject(entry) || typeof entry.topic !== "string") continue;
    if (!Number.isInteger(entry.partition)) continue;
    const base = { topic: entry.topic, partition: entry.partition as number };
    if (Number.isInteger(entry.offset) && (entry.offset as number) >= 0) {
      keys.push({ ...base, offset: entry.offset as number });
    } else if (typeof entry.timestamp === "number" && Number.isFinite(entry.timestamp)) {
      keys.push({ ...base, timestamp: entry.timestamp });
    }
  }
  return keys;
}

/**
 * Makes the SSE id of a `.jsonl` event the way EventStreams does: an offset id when
 * `meta.offset` is present, else a timestamp id from the event time (`fallbackMs` when none).
 */
export function makeEventId(event: Record<string, unknown>, fallbackMs: number): string {
  const meta = isPlainObject(event.meta) ? event.meta : {};
  const topic = typeof meta.topic === "string" ? meta.topic : DEFAULT_TOPIC;
  const partition = Number.isInteger(meta.partition) ? meta.partition as number : 0;
  if (Number.isInteger(meta.offset) && (meta.offset as number) >= 0) {
    return JSON.stringify([{ topic, partition, offset: meta.offset }]);
  }
  const timestamp = readEventTimeMs(event) ?? fallbackMs;
  return JSON.stringify([{ topic, partition, timestamp }]);
}

/** Makes the id of a line that is not a JSON object: its file (partition) and line number (offset). */
export function makeInvalidLineId(source: number, lineIndex: number): string {
  return JSON.stringify([{ topic: INVALID_TOPIC, partition: source, offset: lineIndex }]);
}

/** Parses a `.jsonl` file: one event per line, empty lines skipped, bytes kept verbatim. */
export function parseJsonlRecording(bytes: Uint8Array, source = 0): ReplayFrame[] {
  const frames: ReplayFrame[] = [];
  let lastTimestamp = 0;
  let start = 0;
  for (let lineIndex = 0; start < bytes.length; lineIndex++) {
    let end = bytes.indexOf(LF, start);
    if (end === -1) end = bytes.length;
    const line = bytes.subarray(start, end > start && bytes[end - 1] === CR ? end - 1 : end);
    start = end + 1;
    if (isBlank(line)) continue;
    const frame = frameFromEventBytes(line, source, lineIndex, lastTimestamp);
    lastTimestamp = frame.eventTimeMs ?? lastTimestamp;
    frames.push(frame);
  }
  return frames;
}

/**
 * Parses a recorded SSE stream byte by byte (LF, CRLF or CR line ends). End of input ends the
 * last frame too: a recording cut after a complete `data:` line still yields that event.
 */
export function parseSseRecording(bytes: Uint8Array, source = 0): ReplayFrame[] {
  const frames: ReplayFrame[] = [];
  let data: Uint8Array[] = [];
  let id: string | null = null;
  let frameIndex = 0;
  const dispatch = () => {
    if (data.length > 0) {
      frames.push(frameFromSse(joinLines(data), id, source, frameIndex, frames.at(-1)?.eventTimeMs ?? 0));
      frameIndex++;
    }
    data = [];
    id = null;
  };
  let pos = 0;
  while (pos < bytes.length) {
    let end = pos;
    while (end < bytes.length && bytes[end] !== LF && bytes[end] !== CR) end++;
    const line = bytes.subarray(pos, end);
    pos = end + (bytes[end] === CR && bytes[end + 1] === LF ? 2 : 1);
    if (line.length === 0) dispatch();
    else if (line[0] !== COLON) {
      const colon = line.indexOf(COLON);
      const field = decoder.decode(colon === -1 ? line : line.subarray(0, colon));
      let value = colon === -1 ? new Uint8Array(0) : line.subarray(colon + 1);
      if (value[0] === SPACE) value = value.subarray(1);
      if (field === "data") data.push(value);
      else if (field === "id") id = decoder.decode(value);
    }
  }
  dispatch();
  return frames;
}

function frameFromSse(
  data: Uint8Array,
  id: string | null,
  source: number,
  frameIndex: number,
  fallbackMs: number,
): ReplayFrame {
  if (id === null || id.includes("\0")) return frameFromEventBytes(data, source, frameIndex, fallbackMs);
  return { id, data, eventTimeMs: readEventTimeMs(parseJson(data)), keys: parseIdKeys(id), source };
}

function frameFromEventBytes(line: Uint8Array, source: number, lineIndex: number, fallbackMs: number) {
  const event = parseJson(line);
  const id = isPlainObject(event) ? makeEventId(event, fallbackMs) : makeInvalidLineId(source, lineIndex);
  return { id, data: line, eventTimeMs: readEventTimeMs(event), keys: parseIdKeys(id), source };
}

function parseJson(bytes: Uint8Array): unknown {
  try {
    return JSON.parse(decoder.decode(bytes));
  } catch {
    return undefined;
  }
}

function isBlank(line: Uint8Array): boolean {
  for (const byte of line) {
    if (byte !== SPACE && byte !== 0x09 && byte !== CR) return false;
  }
  return true;
}

function joinLines(parts: Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0];
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length + 1, -1));
  let at = 0;
  parts.forEach((part, index) => {
    if (index > 0) out[at++] = LF;
    out.set(part, at);
    at += part.length;
  });
  return out;
}

/** Encodes one frame as an EventStreams SSE message; data with line breaks becomes several `data:` lines. */
export function encodeFrame(frame: Pick<ReplayFrame, "id" | "data">): Uint8Array {
  const head = encoder.encode(`event: message\nid: ${frame.id}\n`);
  const lines = splitLines(frame.data);
  const size = head.length + lines.reduce((sum, line) => sum + line.length + 7, 0) + 1;
  const out = new Uint8Array(size);
  out.set(head, 0);
  let at = head.length;
  for (const line of lines) {
    out.set(DATA_PREFIX, at);
    out.set(line, at + DATA_PREFIX.length);
    at += DATA_PREFIX.length + line.length;
    out[at++] = LF;
  }
  out[at] = LF;
  return out;
}

const DATA_PREFIX = encoder.encode("data: ");

/** Splits bytes on LF, CRLF and CR (every SSE line terminator). */
export function splitLines(bytes: Uint8Array): Uint8Array[] {
  const lines: Uint8Array[] = [];
  let start = 0;
  for (let i = 0; i < bytes.length; i++) {
    if (bytes[i] !== LF && bytes[i] !== CR) continue;
    lines.push(bytes.subarray(start, i));
    if (bytes[i] === CR && bytes[i + 1] === LF) i++;
    start = i + 1;
  }
  lines.push(bytes.subarray(start));
  return lines;
}

/** Encodes an SSE comment (`:text`) followed by a blank line, e.g. the initial `:ok`. */
export function encodeComment(text: string): Uint8Array {
  return encoder.encode(`:${text}\n\n`);
}
