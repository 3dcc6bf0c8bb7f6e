/**
 * Test support (workerd): reads an SSE response with eventsource-parser (an independent SSE
 * parser, the one the ingestor also uses) and waits for frames with a deadline.
 */
import { createParser, type EventSourceMessage } from "eventsource-parser";

/** An open SSE stream under test. */
export interface SseStream {
  status: number;
  frames: EventSourceMessage[];
  /** Resolves with the first frame (after `from`) that satisfies `test`; rejects after `ms`. */
  waitFor(test: (f: EventSourceMessage) => boolean, ms?: number, from?: number): Promise<EventSourceMessage>;
  close(): Promise<void>;
}

/** Starts reading `response`'s body in the background. */
export function readSse(response: Response): SseStream {
  const frames: EventSourceMessage[] = [];
  const waiters = new Set<() => void>();
  const parser = createParser({
    onEvent(event) {
      frames.push(event);
      for (const w of waiters) w();
    },
  });
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  let closed = false;
  const pump = (async () => {
    while (!closed) {
      const { value, done } = await reader.read();
      if (done) return;
      parser.feed(decoder.decode(value, { stream: true }));
    }
  })().catch(() => undefined);
  return {
    status: response.status,
    frames,
    waitFor(test, ms = 10_000, from = 0) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const hit = frames.slice(from).find(test);
          if (!hit) return;
          waiters.delete(check);
          clearTimeout(timer);
          resolve(hit);
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(
            new Error(
              `no matching SSE frame within ${ms} ms; got ${JSON.stringify(frames.map((f) => f.event))}`,
            ),
          );
        }, ms);
        waiters.add(check);
        check();
      });
    },
    async close() {
      closed = true;
      await reader.cancel().catch(() => undefined);
      await pump;
    },
  };
}
