/**
 * Per-stage wall-clock spans of one unit of work (a consumer batch, an ingestor flush), logged
 * with it so a run's log is its profile. In workerd the clock advances only across I/O, so a
 * span is the time from the previous lap to the end of the awaited step that closes it.
 */

/** A running set of spans; `lap(name)` closes the span since the previous lap. */
export interface StageTimer {
  lap(name: string): void;
  /** Milliseconds per stage name (repeated names add up). */
  readonly spans: Record<string, number>;
}

/** Starts a timer at `now()`. */
export function stageTimer(now: () => number = Date.now): StageTimer {
  let last = now();
  const spans: Record<string, number> = {};
  return {
    lap(name: string) {
      const t = now();
      spans[name] = (spans[name] ?? 0) + (t - last);
      last = t;
    },
    spans,
  };
}
