/**
 * A small seeded pseudo-random generator (sfc32 seeded by a string hash) so that synthetic
 * data is reproducible byte for byte from its seed.
 * @module
 */

/** A deterministic source of random values. */
export interface Rng {
  /** A float in [0, 1). */
  next(): number;
  /** An integer in [0, maxExclusive). */
  int(maxExclusive: number): number;
  /** One element of a non-empty array. */
  pick<T>(items: readonly T[]): T;
  /** A random (version 4 layout) UUID. */
  uuid(): string;
}

const HEX = Array.from({ length: 256 }, (_, byte) => byte.toString(16).padStart(2, "0"));

/** Creates a generator from a seed; the same seed always gives the same sequence. */
export function createRng(seed: string | number): Rng {
  let [a, b, c, d] = hashSeed(String(seed));
  const nextUint32 = () => {
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return t >>> 0;
  };
  for (let i = 0; i < 15; i++) nextUint32();
  const next = () => nextUint32() / 4294967296;
  const int = (maxExclusive: number) => Math.floor(next() * maxExclusive);
  return {
    next,
    int,
    pick: <T>(items: readonly T[]) => {
      if (items.length === 0) throw new RangeError("Cannot pick from an empty array");
      return items[int(items.length)];
    },
    uuid: () => {
      const w0 = nextUint32(), w1 = nextUint32(), w2 = nextUint32(), w3 = nextUint32();
      const version = (w1 & 0xffff0fff) | 0x4000; // version 4 in the third group
      const variant = ((w2 >>> 16) & 0x3fff) | 0x8000; // RFC 4122 variant in the fourth
      return hex32(w0) + "-" + hex16(version >>> 16) + "-" + hex16(version & 0xffff) + "-" + hex16(variant) +
        "-" + hex16(w2 & 0xffff) + hex32(w3);
    },
  };
}

function hex16(n: number): string {
  return HEX[(n >>> 8) & 255] + HEX[n & 255];
}

function hex32(n: number): string {
  return hex16(n >>> 16) + hex16(n & 0xffff);
}

/** cyrb128: four 32-bit words from a string. */
function hashSeed(text: string): [number, number, number, number] {
  let h1 = 1779033703, h2 = 3144134277, h3 = 1013904242, h4 = 2773480762;
  for (let i = 0; i < text.length; i++) {
    const k = text.charCodeAt(i);
    h1 = h2 ^ Math.imul(h1 ^ k, 597399067);
    h2 = h3 ^ Math.imul(h2 ^ k, 2869860233);
    h3 = h4 ^ Math.imul(h3 ^ k, 951274213);
    h4 = h1 ^ Math.imul(h4 ^ k, 2716044179);
  }
  h1 = Math.imul(h3 ^ (h1 >>> 18), 597399067);
  h2 = Math.imul(h4 ^ (h2 >>> 22), 2869860233);
  h3 = Math.imul(h1 ^ (h3 >>> 17), 951274213);
  h4 = Math.imul(h2 ^ (h4 >>> 19), 2716044179);
  h1 ^= h2 ^ h3 ^ h4;
  h2 ^= h1;
  h3 ^= h1;
  h4 ^= h1;
  return [h1 >>> 0, h2 >>> 0, h3 >>> 0, h4 >>> 0];
}
