import { describe, it } from "vitest";
import { parseJsonBig, stringifyJsonBig } from "./json_big.ts";

describe("JSON with 64-bit integers", () => {
  it("parses integers beyond 2^53 exactly as BigInt", ({ expect }) => {
    const value = parseJsonBig('{"a":9223372036854775807,"b":-9007199254740993,"c":[1,2.5,1e3]}');
    expect(value).toEqual({ a: 9223372036854775807n, b: -9007199254740993n, c: [1, 2.5, 1000] });
  });

  it("turns every number under the given keys into BigInt", ({ expect }) => {
    expect(parseJsonBig('{"snapshot-id":5,"x":5}', new Set(["snapshot-id"]))).toEqual({
      "snapshot-id": 5n,
      x: 5,
    });
  });

  it("leaves digits inside strings alone, escapes included", ({ expect }) => {
    const text = '{"s":"id 9223372036854775807 \\" 12345678901234567890","t":"\\u0000"}';
    expect(parseJsonBig(text)).toEqual({ s: 'id 9223372036854775807 " 12345678901234567890', t: "\u0000" });
  });

  it("writes BigInt as bare digits and round-trips", ({ expect }) => {
    const value = { id: 2n ** 63n - 1n, neg: -(2n ** 62n), list: [1n, "2"], s: "x" };
    const text = stringifyJsonBig(value);
    expect(text).toBe('{"id":9223372036854775807,"neg":-4611686018427387904,"list":[1,"2"],"s":"x"}');
    expect(parseJsonBig(text, new Set(["id", "neg"]))).toEqual({ ...value, list: [1, "2"] });
  });
});
