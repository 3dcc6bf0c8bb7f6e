/**
 * A schema-driven Avro binary codec without code generation (workerd forbids `new Function`,
 * which avsc's record types need). Covers every Avro type; logical types are carried by their
 * underlying type. Reads `long` as BigInt (snapshot ids are 63-bit) and writes a BigInt or a
 * safe integer; reads `bytes`/`fixed` as Uint8Array; unions are unwrapped (`null` or the value).
 */
import { ByteReader, ByteWriter } from "./bytes.ts";

/** An Avro schema as JSON (records, unions, arrays, with Iceberg's extra attributes). */
export type AvroSchema = string | readonly AvroSchema[] | { readonly [key: string]: unknown };

/** Encoder/decoder of one compiled schema. */
export interface AvroCodec {
  /** Whether `value` fits the schema at the top level (used to pick union branches). */
  accepts(value: unknown): boolean;
  write(value: unknown, out: ByteWriter, path: string): void;
  read(input: ByteReader): unknown;
}

const INT_MIN = -(2 ** 31);
const INT_MAX = 2 ** 31 - 1;
const isBytes = (v: unknown): v is Uint8Array => v instanceof Uint8Array;
const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v) && !isBytes(v);
const isLong = (v: unknown) =>
  (typeof v === "bigint" && v >= -(2n ** 63n) && v < 2n ** 63n) || Number.isSafeInteger(v);

const PRIMITIVES: Record<string, AvroCodec> = {
  null: codec((v) => v === null || v === undefined, () => {}, () => null, "null"),
  boolean: codec(
    (v) => typeof v === "boolean",
    (v, out) => out.byte(v ? 1 : 0),
    (r) => r.byte() !== 0,
    "a boolean",
  ),
  int: codec(
    (v) => Number.isInteger(v) && (v as number) >= INT_MIN && (v as number) <= INT_MAX,
    (v, out) => out.varLong(v as number),
    (r) => r.varNumber(),
    "a 32-bit integer",
  ),
  long: codec(isLong, (v, out) => out.varLong(v as number | bigint), (r) => r.varLong(), "a 64-bit integer"),
  float: codec(
    (v) => typeof v === "number",
    (v, out) => out.float32(v as number),
    (r) => r.float32(),
    "a number",
  ),
  double: codec(
    (v) => typeof v === "number",
    (v, out) => out.float64(v as number),
    (r) => r.float64(),
    "a number",
  ),
  bytes: codec(isBytes, (v, out) => out.sized(v as Uint8Array), (r) => r.sized().slice(), "a Uint8Array"),
  string: codec(
    (v) => typeof v === "string",
    (v, out) => out.string(v as string),
    (r) => r.string(),
    "a string",
  ),
};

/** Compiles `schema` into a codec; throws Error for an unknown or malformed schema. */
export function compileAvroSchema(schema: AvroSchema): AvroCodec {
  return compile(schema, new Map(), "");
}

function compile(schema: AvroSchema, named: Map<string, AvroCodec>, namespace: string): AvroCodec {
  if (typeof schema === "string") {
    const found = PRIMITIVES[schema] ?? named.get(schema) ?? named.get(`${namespace}.${schema}`);
    if (!found) throw new Error(`Unknown Avro type "${schema}"`);
    return found;
  }
  if (Array.isArray(schema)) return compileUnion(schema.map((s) => compile(s, named, namespace)));
  const s = schema as Record<string, unknown>;
  const type = s.type as AvroSchema;
  if (type === "record" || type === "error") return compileRecord(s, named, namespace);
  if (type === "enum" || type === "fixed") return define(named, s, namespace, compileNamedLeaf(s));
  if (type === "array" || type === "map") return compileCollection(s, named, namespace);
  if (typeof type === "string" && PRIMITIVES[type]) return PRIMITIVES[type]; // e.g. {type:"int", logicalType}
  return compile(type, named, namespace);
}

function compileNamedLeaf(s: Record<string, unknown>): AvroCodec {
  if (s.type === "enum") {
    const symbols = s.symbols as string[];
    return codec(
      (v) => typeof v === "string" && symbols.includes(v),
      (v, out) => out.varLong(symbols.indexOf(v as string)),
      (r) => symbols[r.varNumber()],
      `one of ${symbols.join("|")}`,
    );
  }
  const size = s.size as number;
  return codec(
    (v) => isBytes(v) && v.length === size,
    (v, out) => out.raw(v as Uint8Array),
    (r) => r.take(size).slice(),
    `${size} bytes`,
  );
}

function compileCollection(
  s: Record<string, unknown>,
  named: Map<string, AvroCodec>,
  namespace: string,
): AvroCodec {
  if (s.type === "array") {
    const items = compile(s.items as AvroSchema, named, namespace);
    return codec(
      Array.isArray,
      (v, out, path) => {
        const list = v as unknown[];
        if (list.length) out.varLong(list.length);
        list.forEach((item, i) => items.write(item, out, `${path}[${i}]`));
        out.varLong(0);
      },
      (r) => readBlocks(r, () => items.read(r)),
      "an array",
    );
  }
  const values = compile(s.values as AvroSchema, named, namespace);
  return codec(
    isRecord,
    (v, out, path) => {
      const entries = Object.entries(v as Record<string, unknown>);
      if (entries.length) out.varLong(entries.length);
      for (const [k, item] of entries) {
        out.string(k);
        values.write(item, out, `${path}.${k}`);
      }
      out.varLong(0);
    },
    (r) => Object.fromEntries(readBlocks(r, () => [r.string(), values.read(r)])),
    "an object",
  );
}

function compileRecord(
  s: Record<string, unknown>,
  named: Map<string, AvroCodec>,
  namespace: string,
): AvroCodec {
  const fields: { name: string; codec: AvroCodec; fallback: unknown }[] = [];
  const record = define(
    named,
    s,
    namespace,
    codec(isRecord, (v, out, path) => {
      const obj = v as Record<string, unknown>;
      for (const f of fields) {
        f.codec.write(obj[f.name] === undefined ? f.fallback : obj[f.name], out, `${path}.${f.name}`);
      }
    }, (r) => {
      const obj: Record<string, unknown> = {};
      for (const f of fields) {
        obj[f.name] = f.codec.read(r);
      }
      return obj;
    }, "a record"),
  );
  const inner = typeof s.namespace === "string" ? s.namespace : namespace;
  for (const f of s.fields as { name: string; type: AvroSchema; default?: unknown }[]) {
    fields.push({ name: f.name, codec: compile(f.type, named, inner), fallback: f.default });
  }
  return record;
}

function compileUnion(branches: AvroCodec[]): AvroCodec {
  return {
    accepts: (v) => branches.some((b) => b.accepts(v)),
    write(v, out, path) {
      const index = branches.findIndex((b) => b.accepts(v));
      if (index < 0) {
        throw new TypeError(`Avro value at ${path || "(root)"} fits no union branch, got ${describe(v)}`);
      }
      out.varLong(index);
      branches[index].write(v, out, path);
    },
    read(r) {
      const index = r.varNumber();
      if (!branches[index]) throw new Error(`Avro union branch ${index} does not exist`);
      return branches[index].read(r);
    },
  };
}

function define(
  named: Map<string, AvroCodec>,
  s: Record<string, unknown>,
  namespace: string,
  c: AvroCodec,
): AvroCodec {
  const name = s.name as string;
  if (typeof name !== "string" || !name) {
    throw new Error(`Named Avro type without a name: ${JSON.stringify(s).slice(0, 80)}`);
  }
  const ns = typeof s.namespace === "string" ? s.namespace : namespace;
  const full = name.includes(".") || !ns ? name : `${ns}.${name}`;
  if (named.has(full)) throw new Error(`Avro type "${full}" is defined twice`);
  named.set(full, c);
  if (full !== name) named.set(name, c);
  return c;
}

function codec(
  accepts: (v: unknown) => boolean,
  write: (v: unknown, out: ByteWriter, path: string) => void,
  read: (r: ByteReader) => unknown,
  expected: string,
): AvroCodec {
  return {
    accepts,
    write(v, out, path) {
      if (!accepts(v)) {
        throw new TypeError(`Avro value at ${path || "(root)"} must be ${expected}, got ${describe(v)}`);
      }
      write(v, out, path);
    },
    read,
  };
}

function readBlocks<T>(r: ByteReader, item: () => T): T[] {
  const out: T[] = [];
  for (;;) {
    let count = r.varNumber();
    if (count === 0) return out;
    if (count < 0) { // a negative count is followed by the block's size in bytes
      count = -count;
      r.varLong();
    }
    for (let i = 0; i < count; i++) out.push(item());
  }
}

function describe(v: unknown): string {
  if (typeof v === "bigint") return `${v}n`;
  if (isBytes(v)) return `${v.length} bytes`;
  const json = JSON.stringify(v);
  return json === undefined ? String(v) : json.slice(0, 60);
}
