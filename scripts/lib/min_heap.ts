/**
 * A binary min-heap ordered by `(key, seq)`, so equal keys come out in insertion order.
 * @module
 */

interface Entry<T> {
  key: number;
  seq: number;
  value: T;
}

/** A min-heap of values by numeric key, stable for equal keys. */
export class MinHeap<T> {
  #items: Entry<T>[] = [];
  #seq = 0;

  /** Number of values held. */
  get size(): number {
    return this.#items.length;
  }

  /** The smallest key, or `undefined` when empty. */
  peekKey(): number | undefined {
    return this.#items[0]?.key;
  }

  /** Adds a value. */
  push(key: number, value: T): void {
    const items = this.#items;
    items.push({ key, seq: this.#seq++, value });
    let i = items.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!less(items[i], items[parent])) break;
      [items[i], items[parent]] = [items[parent], items[i]];
      i = parent;
    }
  }

  /** Removes and returns the value with the smallest key. */
  pop(): T | undefined {
    const items = this.#items;
    if (items.length === 0) return undefined;
    const top = items[0];
    const last = items.pop()!;
    if (items.length > 0) {
      items[0] = last;
      let i = 0;
      for (;;) {
        const left = 2 * i + 1;
        const right = left + 1;
        let smallest = i;
        if (left < items.length && less(items[left], items[smallest])) smallest = left;
        if (right < items.length && less(items[right], items[smallest])) smallest = right;
        if (smallest === i) break;
        [items[i], items[smallest]] = [items[smallest], items[i]];
        i = smallest;
      }
    }
    return top.value;
  }
}

function less<T>(a: Entry<T>, b: Entry<T>): boolean {
  return a.key < b.key || (a.key === b.key && a.seq < b.seq);
}
