import fc from "fast-check";
import { describe, it } from "vitest";
import {
  compareCodePoints,
  compareDoubles,
  encodeSingleValue,
  truncateLowerBound,
  truncateUpperBound,
} from "./bounds.ts";

const hex = (b: Uint8Array) => [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
const utf8 = (s: string) => new TextEncoder().encode(s);
const compareBytes = (a: Uint8Array, b: Uint8Array) => {
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i] - b[i];
  return a.length - b.length;
};

describe("encodeSingleValue (Appendix D)", () => {
  it("writes int as 4-byte little-endian two's complement", ({ expect }) => {
    expect(hex(encodeSingleValue("int", 20089))).toBe("794e0000");
    expect(hex(encodeSingleValue("int", -1))).toBe("ffffffff");
    expect(hex(encodeSingleValue("int", -(2 ** 31)))).toBe("00000080");
  });

  it("writes long as 8-byte little-endian, exact up to 2^63-1", ({ expect }) => {
    expect(hex(encodeSingleValue("long", 1))).toBe("0100000000000000");
    expect(hex(encodeSingleValue("long", -2))).toBe("feffffffffffffff");
    expect(hex(encodeSingleValue("long", 2n ** 63n - 1n))).toBe("ffffffffffffff7f");
    expect(hex(encodeSingleValue("long", Number.MAX_SAFE_INTEGER))).toBe("ffffffffffff1f00");
  });

  it("writes timestamptz as 8-byte little-endian microseconds from epoch milliseconds", ({ expect }) => {
    expect(hex(encodeSingleValue("timestamptz", 1))).toBe("e803000000000000");
    expect(hex(encodeSingleValue("timestamptz", -1))).toBe("18fcffffffffffff");
    const view = new DataView(encodeSingleValue("timestamptz", Date.UTC(2025, 0, 1, 4)).buffer);
    expect(view.getBigInt64(0, true)).toBe(1_735_704_000_000_000n);
  });

  it("writes double as 8-byte little-endian IEEE 754, boolean as one byte, string as bare UTF-8", ({ expect }) => {
    expect(hex(encodeSingleValue("double", 1.5))).toBe("000000000000f83f");
    expect(hex(encodeSingleValue("double", -0))).toBe("0000000000000080");
    expect(hex(encodeSingleValue("boolean", true))).toBe("01");
    expect(hex(encodeSingleValue("boolean", false))).toBe("00");
    expect(hex(encodeSingleValue("string", "é😀"))).toBe("c3a9f09f9880");
  });
});

describe("string and double ordering", () => {
  it("orders strings by code point, unlike UTF-16 comparison", ({ expect }) => {
    expect("\uFFFF" > "😀").toBe(true); // UTF-16 code units say so; code points disagree
    expect(compareCodePoints("\uFFFF", "😀")).toBeLessThan(0);
    expect(compareCodePoints("a", "ab")).toBeLessThan(0);
    expect(compareCodePoints("b", "ab")).toBeGreaterThan(0);
    expect(compareCodePoints("😀", "😀")).toBe(0);
  });

  it("agrees with UTF-8 byte order on any strings", () => {
    fc.assert(
      fc.property(
        fc.string({ unit: "binary", maxLength: 20 }),
        fc.string({ unit: "binary", maxLength: 20 }),
        (a, b) => {
          return Math.sign(compareCodePoints(a, b)) === Math.sign(compareBytes(utf8(a), utf8(b)));
        },
      ),
    );
  });

  it("puts -0 before +0", ({ expect }) => {
    expect(compareDoubles(-0, 0)).toBeLessThan(0);
    expect(compareDoubles(0, -0)).toBeGreaterThan(0);
    expect(compareDoubles(-Infinity, -1e308)).toBeLessThan(0);
  });
});

describe("truncated string bounds", () => {
  const long = "abcdefghijklmnopqrstuvwxyz";

  it("keeps strings of up to 16 code points whole", ({ expect }) => {
    expect(truncateLowerBound("😀".repeat(16))).toBe("😀".repeat(16));
    expect(truncateUpperBound("😀".repeat(16))).toBe("😀".repeat(16));
  });

  it("truncates a lower bound to a 16-code-point prefix", ({ expect }) => {
    expect(truncateLowerBound(long)).toBe("abcdefghijklmnop");
    expect(truncateLowerBound("😀".repeat(20))).toBe("😀".repeat(16));
  });

  it("rounds a truncated upper bound up by incrementing its last code point", ({ expect }) => {
    expect(truncateUpperBound(long)).toBe("abcdefghijklmnoq");
    expect(truncateUpperBound("😀".repeat(20))).toBe("😀".repeat(15) + "😁");
    expect(truncateUpperBound("a".repeat(15) + "\uD7FF" + "zz")).toBe("a".repeat(15) + "\uE000");
  });

  it("drops code points that cannot be incremented, and gives up when none can", ({ expect }) => {
    const max = String.fromCodePoint(0x10ffff);
    expect(truncateUpperBound("a".repeat(14) + "b" + max + "tail")).toBe("a".repeat(14) + "c");
    expect(truncateUpperBound(max.repeat(17))).toBeNull();
  });

  it("yields bounds that enclose the value in UTF-8 byte order", ({ expect }) => {
    fc.assert(fc.property(fc.string({ unit: "binary", maxLength: 40 }), (s) => {
      expect(compareBytes(utf8(truncateLowerBound(s)), utf8(s))).toBeLessThanOrEqual(0);
      const upper = truncateUpperBound(s);
      if (upper !== null) expect(compareBytes(utf8(upper), utf8(s))).toBeGreaterThanOrEqual(0);
      expect(Array.from(truncateLowerBound(s)).length).toBeLessThanOrEqual(16);
    }));
  });
});
