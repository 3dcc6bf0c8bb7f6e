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

/**
 * A fresh-read group: like SingleFlight, but a caller never gets a computation that started before
 * it arrived. A caller that finds a run of its key in flight waits for it to settle, then joins a
 * run started after its arrival (by another such caller) or starts one itself. So a read answers
 * with state read after the request came in (no staleness), and N concurrent callers cost about
 * two runs per key at a time instead of N. The next run is started by a waiting caller's own code,
 * never from another caller's callback: the Workers runtime ties I/O to the request that starts it.
 */
export class FreshFlight<T> {
  readonly #running = new Map<string, { seq: number; result: Promise<T> }>();
  #started = 0;

  /** `fn`'s result from a run of `key` that starts no earlier than this call. */
  async run(key: string, fn: () => Promise<T>): Promise<T> {
    const arrivedAfter = this.#started;
    for (;;) {
      const run = this.#running.get(key);
      if (!run) return this.#start(key, fn);
      if (run.seq > arrivedAfter) return run.result;
      await run.result.then(() => {}, () => {});
    }
  }

  #start(key: string, fn: () => Promise<T>): Promise<T> {
    const seq = ++this.#started;
    const result = fn().finally(() => {
      if (this.#running.get(key)?.seq === seq) this.#running.delete(key);
    });
    this.#running.set(key, { seq, result });
    return result;
  }

  /** How many keys have a run in flight. */
  get size(): number {
    return this.#running.size;
  }
}
