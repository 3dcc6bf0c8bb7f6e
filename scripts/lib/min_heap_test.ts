import assert from "node:assert/strict";
import fc from "fast-check";
import { MinHeap } from "./min_heap.ts";

Deno.test("the heap returns values by key, equal keys in insertion order (property)", () => {
  fc.assert(fc.property(fc.array(fc.integer({ min: 0, max: 20 })), (keys) => {
    const heap = new MinHeap<number>();
    keys.forEach((key, index) => heap.push(key, index));
    const out: number[] = [];
    while (heap.size > 0) out.push(heap.pop()!);
    const expected = keys.map((key, index) => ({ key, index }))
      .sort((a, b) => a.key - b.key || a.index - b.index)
      .map((entry) => entry.index);
    assert.deepEqual(out, expected);
    assert.equal(heap.pop(), undefined);
    assert.equal(heap.peekKey(), undefined);
  }));
});
