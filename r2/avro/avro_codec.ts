/**
 * An interpretive Avro binary codec for the schemas Iceberg's manifests use (null, boolean,
 * int, long, float, double, bytes, string, fixed, enum, record, array, map, unions). It exists
 * because avsc compiles record types with `new Function`, which Workers forbid (code
 * generation from strings is disallowed), so avsc can only serve as an independent reader in
 * Node tests. `long` decodes to BigInt (snapshot ids are 63-bit) and encodes from a safe
 * integer or a BigInt; unions are unwrapped (`null` or the value itself).
 */

/** An Avro schema as JSON. */
export type AvroSchema = string | readonly AvroSchema[] | { readonly [key: string]: unknown };

/** A compiled Avro type: validate, encode, decode. */
export interface AvroType {
  isValid(value: unknown, options?: { errorHook?: (path: string[], value: unknown) => void }): boolean;
  toBuffer(value: unknown): Uint8Array;
  decode(bytes: Uint8Array, offset?: number): { value: unknown; offset: number };
}

type Node =
  | { kind: "null" | "boolean" | "int" | "long" | "float" | "double" | "bytes" | "string" }
  | { kind: "fixed"; size: number }
  | { kind: "enum"; symbols: string[] }
  | { kind: "array"; items: Node }
  | { kind: "map"; values: Node }
  | { kind: "union"; branches: Node[] }
  | { kind: "record"; name: string; fields: Array<{ name: string; type: Node }> };

const PRIMITIVES = new Set(["null", "boolean", "int", "long", "float", "double", "bytes", "string"]);
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Compiles `schema` (named types may be referenced after their definition). */
export function compileAvroType(schema: AvroSchema): AvroType {
  const root = parse(schema, new Map());
  return {
    isValid(value, options) {
      const errors: Array<[string[], unknown]> = [];
      check(root, value, [], errors);
      for (const [path, v] of errors) options?.errorHook?.(path, v);
      return errors.length === 0;
    },
    toBuffer(value) {
      const out = new Writer();
      write(root, value, out);
      return out.finish();
    },
    decode(bytes, offset = 0) {
      const reader = {
        bytes,
        pos: offset,
        view: new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength),
      };
      const value = read(root, reader);
      return { value, offset: reader.pos };
    },
  };
}

function parse(schema: AvroSchema, named: Map<string, Node>): Node {
  if (typeof schema === "string") {
    if (PRIMITIVES.has(schema)) return { kind: schema } as Node;
    const ref = named.get(schema);
    if (!ref) throw new TypeError(`Unknown Avro type "${schema}"`);
    return ref;
  }
  if (Array.isArray(schema)) return { kind: "union", branches: schema.map((s) => parse(s, named)) };
  const s = schema as Record<string, unknown>;
  const type = s.type as AvroSchema;
  switch (type) {
    case "record":
    case "error": {
      const node = {
        kind: "record" as const,
        name: String(s.name),
        fields: [] as Array<{ name: string; type: Node }>,
      };
      named.set(node.name, node);
      for (const f of s.fields as Array<Record<string, unknown>>) {
        node.fields.push({ name: String(f.name), type: parse(f.type as AvroSchema, named) });
      }
      return node;
    }
    case "array":
      return { kind: "array", items: parse(s.items as AvroSchema, named) };
    case "map":
      return { kind: "map", values: parse(s.values as AvroSchema, named) };
    case "fixed": {
      const node = { kind: "fixed" as const, size: Number(s.size) };
      named.set(String(s.name), node);
      return node;
    }
    case "enum": {
      const node = { kind: "enum" as const, symbols: s.symbols as string[] };
      named.set(String(s.name), node);
      return node;
    }
    default:
      return parse(type, named); // primitive with attributes (e.g. logicalType)
  }
}

function matches(node: Node, value: unknown): boolean {
  return check(node, value, [], []);
}

function check(node: Node, value: unknown, path: string[], errors: Array<[string[], unknown]>): boolean {
  const fail = () => (errors.push([path, value]), false);
  switch (node.kind) {
    case "null":
      return value === null || fail();
    case "boolean":
      return typeof value === "boolean" || fail();
    case "int":
      return (Number.isInteger(value) && (value as number) >= -(2 ** 31) && (value as number) < 2 ** 31) ||
        fail();
    case "long":
      return (typeof value === "bigint" && value >= -(2n ** 63n) && value < 2n ** 63n) ||
        Number.isSafeInteger(value) || fail();
    case "float":
    case "double":
      return typeof value === "number" || fail();
    case "bytes":
      return value instanceof Uint8Array || fail();
    case "fixed":
      return (value instanceof Uint8Array && value.length === node.size) || fail();
    case "string":
      return typeof value === "string" || fail();
    case "enum":
      return node.symbols.includes(value as string) || fail();
    case "array":
      if (!Array.isArray(value)) return fail();
      return value.map((v, i) => check(node.items, v, [...path, String(i)], errors)).every(Boolean);
    case "map":
      if (typeof value !== "object" || value === null) return fail();
      return Object.entries(value).map(([k, v]) => check(node.values, v, [...path, k], errors)).every(
        Boolean,
      );
    case "union":
      return node.branches.some((b) => matches(b, value)) || fail();
    case "record": {
      if (typeof value !== "object" || value === null) return fail();
      const record = value as Record<string, unknown>;
      return node.fields.map((f) => check(f.type, record[f.name] ?? null, [...path, f.name], errors)).every(
        Boolean,
      );
    }
  }
}

class Writer {
  #chunks: Uint8Array[] = [];
  #buf = new Uint8Array(256);
  #pos = 0;
  byte(b: number): void {
    if (this.#pos === this.#buf.length) this.#flush();
    this.#buf[this.#pos++] = b;
  }
  bytes(b: Uint8Array): void {
    this.#flush();
    this.#chunks.push(b.slice());
  }
  zigzag(n: bigint): void {
    let z = n >= 0n ? n << 1n : (-n << 1n) - 1n;
    while (z > 0x7fn) {
      this.byte(Number(z & 0x7fn) | 0x80);
      z >>= 7n;
    }
    this.byte(Number(z));
  }
  float(n: number, width: 4 | 8): void {
    const b = new Uint8Array(width);
    const view = new DataView(b.buffer);
    if (width === 4) view.setFloat32(0, n, true);
    else view.setFloat64(0, n, true);
    this.bytes(b);
  }
  #flush(): void {
    if (this.#pos) this.#chunks.push(this.#buf.slice(0, this.#pos));
    this.#buf = new Uint8Array(256);
    this.#pos = 0;
  }
  finish(): Uint8Array {
    this.#flush();
    const out = new Uint8Array(this.#chunks.reduce((n, c) => n + c.length, 0));
    let at = 0;
    for (const c of this.#chunks) (out.set(c, at), at += c.length);
    return out;
  }
}

function write(node: Node, value: unknown, out: Writer): void {
  switch (node.kind) {
    case "null":
      return;
    case "boolean":
      return out.byte(value ? 1 : 0);
    case "int":
    case "long":
      return out.zigzag(BigInt(value as number | bigint));
    case "float":
      return out.float(value as number, 4);
    case "double":
      return out.float(value as number, 8);
    case "bytes":
      out.zigzag(BigInt((value as Uint8Array).length));
      return out.bytes(value as Uint8Array);
    case "fixed":
      return out.bytes(value as Uint8Array);
    case "string": {
      const b = encoder.encode(value as string);
      out.zigzag(BigInt(b.length));
      return out.bytes(b);
    }
    case "enum":
      return out.zigzag(BigInt(node.symbols.indexOf(value as string)));
    case "array": {
      const items = value as unknown[];
      if (items.length) {
        out.zigzag(BigInt(items.length));
        for (const item of items) write(node.items, item, out);
      }
      return out.byte(0);
    }
    case "map": {
      const entries = Object.entries(value as Record<string, unknown>);
      if (entries.length) {
        out.zigzag(BigInt(entries.length));
        for (const [k, v] of entries) (write({ kind: "string" }, k, out), write(node.values, v, out));
      }
      return out.byte(0);
    }
    case "union": {
      const index = node.branches.findIndex((b) => matches(b, value));
      if (index < 0) throw new TypeError(`Value ${String(value)} matches no branch of an Avro union`);
      out.zigzag(BigInt(index));
      return write(node.branches[index], value, out);
    }
    case "record":
      for (const f of node.fields) write(f.type, (value as Record<string, unknown>)[f.name] ?? null, out);
  }
}

interface Reader {
  bytes: Uint8Array;
  pos: number;
  view: DataView;
}

function readLong(r: Reader): bigint {
  let result = 0n;
  let shift = 0n;
  while (true) {
    if (r.pos >= r.bytes.length) throw new RangeError("Avro data ends inside a varint");
    const b = r.bytes[r.pos++];
    result |= BigInt(b & 0x7f) << shift;
    if ((b & 0x80) === 0) break;
    shift += 7n;
  }
  return (result >> 1n) ^ -(result & 1n);
}

function take(r: Reader, n: number): Uint8Array {
  if (r.pos + n > r.bytes.length) throw new RangeError(`Avro data ends early: need ${n} bytes at ${r.pos}`);
  const out = r.bytes.slice(r.pos, r.pos + n);
  r.pos += n;
  return out;
}

function read(node: Node, r: Reader): unknown {
  switch (node.kind) {
    case "null":
      return null;
    case "boolean":
      return take(r, 1)[0] !== 0;
    case "int":
      return Number(readLong(r));
    case "long":
      return readLong(r);
    case "float": {
      const v = r.view.getFloat32(r.pos, true);
      r.pos += 4;
      return v;
    }
    case "double": {
      const v = r.view.getFloat64(r.pos, true);
      r.pos += 8;
      return v;
    }
    case "bytes":
      return take(r, Number(readLong(r)));
    case "fixed":
      return take(r, node.size);
    case "string":
      return decoder.decode(take(r, Number(readLong(r))));
    case "enum":
      return node.symbols[Number(readLong(r))];
    case "array":
    case "map": {
      const out: unknown[] = [];
      const map: Record<string, unknown> = {};
      while (true) {
        let count = Number(readLong(r));
        if (count === 0) break;
        if (count < 0) (count = -count, readLong(r)); // a block with its byte size
        for (let i = 0; i < count; i++) {
          if (node.kind === "array") out.push(read(node.items, r));
          else map[read({ kind: "string" }, r) as string] = read(node.values, r);
        }
      }
      return node.kind === "array" ? out : map;
    }
    case "union": {
      const index = Number(readLong(r));
      const branch = node.branches[index];
      if (!branch) throw new RangeError(`Avro union branch ${index} out of range`);
      return read(branch, r);
    }
    case "record": {
      const out: Record<string, unknown> = {};
      for (const f of node.fields) out[f.name] = read(f.type, r);
      return out;
    }
  }
}
