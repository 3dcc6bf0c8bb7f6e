import assert from "node:assert/strict";
import { createRng } from "./prng.ts";

Deno.test("the same seed gives the same sequence and another seed a different one", () => {
  const draw = (seed: string) => {
    const rng = createRng(seed);
    return [rng.next(), rng.int(1000), rng.uuid(), rng.pick(["a", "b", "c"])];
  };
  assert.deepEqual(draw("7"), draw("7"));
  assert.notDeepEqual(draw("7"), draw("8"));
});

Deno.test("uuids have the version 4 layout and do not repeat", () => {
  const rng = createRng(1);
  const ids = Array.from({ length: 10_000 }, () => rng.uuid());
  assert.ok(
    ids.every((id) => /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/.test(id)),
  );
  assert.equal(new Set(ids).size, ids.length);
});

Deno.test("floats stay in [0, 1) and integers in range", () => {
  const rng = createRng("range");
  for (let i = 0; i < 10_000; i++) {
    const x = rng.next();
    assert.ok(x >= 0 && x < 1);
    const n = rng.int(7);
    assert.ok(Number.isInteger(n) && n >= 0 && n < 7);
  }
  assert.throws(() => rng.pick([]), RangeError);
});
