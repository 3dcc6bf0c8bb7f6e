/**
 * Live hub (core): coalesces updates per key to at most one sent per `intervalMs`, always
 * sending the newest value last (so a window's final version is never lost). Pure state
 * transitions over a plain object; times are epoch ms passed in.
 * @module
 */

/** Per-key send times and the newest unsent value of keys that were sent too recently. */
export interface CoalesceState<V> {
  intervalMs: number;
  lastSent: Map<string, number>;
  pending: Map<string, V>;
}

/** An empty state. */
export function coalescer<V>(intervalMs = 1_000): CoalesceState<V> {
  return { intervalMs, lastSent: new Map(), pending: new Map() };
}

/** Offers a new value: returns it to send now, or keeps it pending (replacing an older one) and returns null. */
export function offer<V>(state: CoalesceState<V>, key: string, value: V, now: number): V | null {
  const last = state.lastSent.get(key);
  if (!state.pending.has(key) && (last === undefined || now - last >= state.intervalMs)) {
    state.lastSent.set(key, now);
    return value;
  }
  state.pending.set(key, value);
  return null;
}

/** The pending values due at `now` (removed from the state) and when the next one falls due. */
export function takeDue<V>(state: CoalesceState<V>, now: number): { send: V[]; nextAt: number | null } {
  const send: V[] = [];
  let nextAt: number | null = null;
  for (const [key, value] of state.pending) {
    const due = (state.lastSent.get(key) ?? -Infinity) + state.intervalMs;
    if (due <= now) {
      send.push(value);
      state.pending.delete(key);
      state.lastSent.set(key, now);
    } else if (nextAt === null || due < nextAt) {
      nextAt = due;
    }
  }
  for (const [key, at] of state.lastSent) {
    if (!state.pending.has(key) && now - at >= state.intervalMs) state.lastSent.delete(key);
  }
  return { send, nextAt };
}

/** One SSE frame: `event:` and one `data:` line of JSON. */
export function sseFrame(event: string, data: unknown): string {
  return `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}
