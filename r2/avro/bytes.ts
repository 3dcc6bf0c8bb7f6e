/**
 * Byte-level Avro primitives: a growable writer and a bounds-checked reader with zig-zag
 * varints (numbers or BigInt), little-endian floats, and length-prefixed bytes and strings.
 */

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** A growable byte buffer. */
export class ByteWriter {
  #buf = new Uint8Array(256);
  #view = new DataView(this.#buf.buffer);
  #len = 0;

  /** The bytes written so far (a copy). */
  toBytes(): Uint8Array {
    return this.#buf.slice(0, this.#len);
  }

  /** Appends one byte. */
  byte(b: number): void {
    this.#reserve(1);
    this.#buf[this.#len++] = b;
  }

  /** Appends bytes as they are. */
  raw(bytes: Uint8Array): void {
    this.#reserve(bytes.length);
    this.#buf.set(bytes, this.#len);
    this.#len += bytes.length;
  }

  /** Appends a length-prefixed byte string. */
  sized(bytes: Uint8Array): void {
    this.varLong(bytes.length);
    this.raw(bytes);
  }

  /** Appends a length-prefixed UTF-8 string. */
  string(text: string): void {
    this.sized(encoder.encode(text));
  }

  /** Appends a zig-zag varint (64-bit range). */
  varLong(value: number | bigint): void {
    if (typeof value === "number" && Math.abs(value) < 2 ** 52) {
      let n = value >= 0 ? value * 2 : -value * 2 - 1;
      while (n >= 0x80) {
        this.byte((n % 0x80) | 0x80);
        n = Math.floor(n / 0x80);
      }
      this.byte(n);
      return;
    }
    const v = BigInt(value);
    let n = BigInt.asUintN(64, (v << 1n) ^ (v >> 63n));
    while (n >= 0x80n) {
      this.byte(Number(n & 0x7fn) | 0x80);
      n >>= 7n;
    }
    this.byte(Number(n));
  }

  /** Appends a little-endian IEEE 754 double. */
  float64(value: number): void {
    this.#reserve(8);
    this.#view.setFloat64(this.#len, value, true);
    this.#len += 8;
  }

  /** Appends a little-endian IEEE 754 float. */
  float32(value: number): void {
    this.#reserve(4);
    this.#view.setFloat32(this.#len, value, true);
    this.#len += 4;
  }

  #reserve(n: number): void {
    if (this.#len + n <= this.#buf.length) return;
    const next = new Uint8Array(Math.max(this.#buf.length * 2, this.#len + n));
    next.set(this.#buf.subarray(0, this.#len));
    this.#buf = next;
    this.#view = new DataView(next.buffer);
  }
}

/** A cursor over bytes; every read checks that the bytes are there. */
export class ByteReader {
  readonly #bytes: Uint8Array;
  readonly #view: DataView;
  pos: number;

  constructor(bytes: Uint8Array, pos = 0) {
    this.#bytes = bytes;
    this.#view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.pos = pos;
  }

  /** Bytes left after the cursor. */
  get remaining(): number {
    return this.#bytes.length - this.pos;
  }

  /** Reads one byte. */
  byte(): number {
    return this.take(1)[0];
  }

  /** Reads `n` bytes (a view, not a copy). */
  take(n: number): Uint8Array {
    if (n < 0 || this.pos + n > this.#bytes.length) {
      throw new RangeError(`Avro data truncated: need ${n} bytes at ${this.pos} of ${this.#bytes.length}`);
    }
    this.pos += n;
    return this.#bytes.subarray(this.pos - n, this.pos);
  }

  /** Reads a length-prefixed byte string (a view). */
  sized(): Uint8Array {
    return this.take(this.varNumber());
  }

  /** Reads a length-prefixed UTF-8 string. */
  string(): string {
    return decoder.decode(this.sized());
  }

  /** Reads a zig-zag varint that must fit a safe integer (ints, lengths, counts, indexes). */
  varNumber(): number {
    const value = this.varLong();
    if (value > BigInt(Number.MAX_SAFE_INTEGER) || value < BigInt(Number.MIN_SAFE_INTEGER)) {
      throw new RangeError(`Avro integer ${value} before byte ${this.pos} exceeds 2^53`);
    }
    return Number(value);
  }

  /** Reads a zig-zag varint as BigInt (small values take a number fast path). */
  varLong(): bigint {
    let small = 0;
    let scale = 1;
    for (let i = 0; i < 7; i++) {
      const b = this.byte();
      small += (b & 0x7f) * scale;
      if (!(b & 0x80)) return BigInt(small % 2 ? -(small + 1) / 2 : small / 2);
      scale *= 0x80;
    }
    let n = BigInt(small);
    let shift = 49n;
    for (let i = 7; i < 10; i++) {
      const b = this.byte();
      n |= BigInt(b & 0x7f) << shift;
      if (!(b & 0x80)) return BigInt.asIntN(64, (n >> 1n) ^ -(n & 1n));
      shift += 7n;
    }
    throw new RangeError(`Avro varint longer than 10 bytes before byte ${this.pos}`);
  }

  /** Reads a little-endian double. */
  float64(): number {
    const at = this.take(8).byteOffset - this.#bytes.byteOffset;
    return this.#view.getFloat64(at, true);
  }

  /** Reads a little-endian float. */
  float32(): number {
    const at = this.take(4).byteOffset - this.#bytes.byteOffset;
    return this.#view.getFloat32(at, true);
  }
}
