/**
 * Test support: a small SSE client on `fetch` + `eventsource-parser` (the spec-following
 * parser), with reconnection by Last-Event-ID, and a time bound for tests.
 * @module
 */

import { createParser, type EventSourceMessage } from "eventsource-parser";

/** What one connection delivered. */
export interface SseRead {
  events: EventSourceMessage[];
  comments: string[];
  /** True when the server ended the stream; false when the client stopped reading. */
  serverClosed: boolean;
  headers: Headers;
}

/** How long to read a stream and what to send. */
export interface SseReadOptions {
  lastEventId?: string;
  headers?: Record<string, string>;
  /** Stop after this many events. */
  maxEvents?: number;
  /** Stop when nothing but comments arrived for this long. */
  idleMs?: number;
  /** Abort the whole read after this long (default 20 s). */
  timeoutMs?: number;
}

/** Reads one SSE connection until the server closes it, `maxEvents`, or `idleMs` without events. */
export async function readSse(url: string, options: SseReadOptions = {}): Promise<SseRead> {
  const abort = new AbortController();
  const timeout = setTimeout(() => abort.abort(new Error("SSE read timed out")), options.timeoutMs ?? 20_000);
  const headers: Record<string, string> = { accept: "text/event-stream", ...options.headers };
  if (options.lastEventId !== undefined) headers["last-event-id"] = options.lastEventId;
  const events: EventSourceMessage[] = [];
  const comments: string[] = [];
  const parser = createParser({ onEvent: (event) => events.push(event), onComment: (c) => comments.push(c) });
  try {
    const response = await fetch(url, { headers, signal: abort.signal });
    if (!response.ok || response.body === null) {
      throw new Error(`GET ${url} answered ${response.status}: ${await response.text()}`);
    }
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    let lastProgress = performance.now();
    let idleTimer: ReturnType<typeof setTimeout> | undefined;
    for (;;) {
      const idle = options.idleMs === undefined ? null : new Promise<"idle">((resolve) => {
        idleTimer = setTimeout(
          () => resolve("idle"),
          Math.max(0, lastProgress + options.idleMs! - performance.now()),
        );
      });
      const result = await (idle ? Promise.race([reader.read(), idle]) : reader.read());
      clearTimeout(idleTimer);
      if (result === "idle") {
        await reader.cancel();
        return { events, comments, serverClosed: false, headers: response.headers };
      }
      if (result.done) return { events, comments, serverClosed: true, headers: response.headers };
      const before = events.length;
      parser.feed(result.value);
      if (events.length > before) lastProgress = performance.now();
      if (options.maxEvents !== undefined && events.length >= options.maxEvents) {
        await reader.cancel();
        // The client stops at maxEvents; what else the last chunk held is not processed.
        return {
          events: events.slice(0, options.maxEvents),
          comments,
          serverClosed: false,
          headers: response.headers,
        };
      }
    }
  } finally {
    clearTimeout(timeout);
  }
}

/**
 * Reads a stream over as many connections as the server makes, reconnecting with the last
 * event's id like EventSource does, until `total` events or a connection brings nothing new.
 */
export async function readAllWithReconnects(
  url: string,
  total: number,
  options: SseReadOptions = {},
): Promise<{ events: EventSourceMessage[]; connections: SseRead[] }> {
  const events: EventSourceMessage[] = [];
  const connections: SseRead[] = [];
  let lastEventId = options.lastEventId;
  while (events.length < total) {
    const read = await readSse(url, { ...options, lastEventId, maxEvents: total - events.length });
    connections.push(read);
    if (read.events.length === 0) break;
    events.push(...read.events);
    lastEventId = read.events.at(-1)!.id ?? lastEventId;
  }
  return { events, connections };
}

/** Runs `body` and fails if it takes longer than `ms`. */
export async function within<T>(ms: number, body: () => Promise<T>): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`test exceeded its ${ms} ms bound`)), ms);
  });
  try {
    return await Promise.race([body(), limit]);
  } finally {
    clearTimeout(timer);
  }
}
