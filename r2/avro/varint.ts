/**
 * Avro's zig-zag variable-length `long`, for the container framing (block counts and sizes,
 * metadata map entries). Values stay within JavaScript's safe integers.
 */

/** Appends the zig-zag varint of `value` to `out`. */
export function writeVarLong(out: number[], value: number): void {
  if (!Number.isSafeInteger(value)) throw new RangeError(`Avro long must be a safe integer, got ${value}`);
  let n = value >= 0 ? value * 2 : -value * 2 - 1;
  while (n >= 0x80) {
    out.push((n % 0x80) | 0x80);
    n = Math.floor(n / 0x80);
  }
  out.push(n);
}

/** Reads a zig-zag varint at `pos`; returns the value and the next position. */
export function readVarLong(bytes: Uint8Array, pos: number): { value: number; next: number } {
  let n = 0;
  let scale = 1;
  for (let i = pos; i < bytes.length; i++) {
    const b = bytes[i];
    n += (b & 0x7f) * scale;
    if (!(b & 0x80)) {
      if (!Number.isSafeInteger(n)) throw new RangeError(`Avro long at byte ${pos} exceeds 2^53`);
      return { value: n % 2 ? -(n + 1) / 2 : n / 2, next: i + 1 };
    }
    scale *= 0x80;
    if (i - pos >= 9) break;
  }
  throw new RangeError(`Truncated or overlong Avro long at byte ${pos} of ${bytes.length}`);
}
