/**
 * Pure core: single-flight — callers that ask for the same key while a computation for it is in
 * flight share that computation instead of starting their own. Nothing is kept after it settles
 * (no cache): a caller that arrives later gets a fresh computation.
 */

/** A single-flight group: `run(key, fn)` joins the in-flight `fn` of `key`, or starts it. */
export class SingleFlight<T> {
  readonly #inFlight = new Map<string, Promise<T>>();

  /** Runs `fn` for `key` unless a run for `key` is in flight; every caller gets that run's result. */
  run(key: string, fn: () => Promise<T>): Promise<T> {
    const running = this.#inFlight.get(key);
    if (running) return running;
    const started = fn().finally(() => this.#inFlight.delete(key));
    this.#inFlight.set(key, started);
    return started;
  }

  /** How many keys have a computation in flight. */
  get size(): number {
    return this.#inFlight.size;
  }
}
