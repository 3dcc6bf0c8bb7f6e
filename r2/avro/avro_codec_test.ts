import fc from "fast-check";
import { describe, it } from "vitest";
import { type AvroSchema, compileAvroSchema } from "./avro_codec.ts";
import { ByteReader, ByteWriter } from "./bytes.ts";

const encode = (schema: AvroSchema, value: unknown) => {
  const out = new ByteWriter();
  compileAvroSchema(schema).write(value, out, "v");
  return out.toBytes();
};
const decode = (schema: AvroSchema, bytes: Uint8Array) => {
  const input = new ByteReader(bytes);
  const value = compileAvroSchema(schema).read(input);
  if (input.remaining) throw new Error(`${input.remaining} bytes left`);
  return value;
};
const hex = (b: Uint8Array) => [...b].map((x) => x.toString(16).padStart(2, "0")).join(" ");

describe("Avro binary codec", () => {
  it("encodes ints and longs as zig-zag varints, as the Avro spec's examples show", ({ expect }) => {
    expect(hex(encode("int", 0))).toBe("00");
    expect(hex(encode("int", -1))).toBe("01");
    expect(hex(encode("int", 1))).toBe("02");
    expect(hex(encode("int", -64))).toBe("7f");
    expect(hex(encode("int", 64))).toBe("80 01");
    expect(hex(encode("long", 2n ** 63n - 1n))).toBe("fe ff ff ff ff ff ff ff ff 01");
    expect(hex(encode("long", -(2n ** 63n)))).toBe("ff ff ff ff ff ff ff ff ff 01");
  });

  it("round-trips every 64-bit long as BigInt, from numbers or BigInts", ({ expect }) => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }),
        (n) => decode("long", encode("long", n)) === n,
      ),
    );
    fc.assert(fc.property(fc.maxSafeInteger(), (n) => decode("long", encode("long", n)) === BigInt(n)));
    expect(decode("int", encode("int", -(2 ** 31)))).toBe(-(2 ** 31));
  });

  it("round-trips strings, bytes, floats, doubles, booleans, enums, fixed and maps", ({ expect }) => {
    const schema = {
      type: "record",
      name: "all",
      fields: [
        { name: "s", type: "string" },
        { name: "b", type: "bytes" },
        { name: "f", type: "float" },
        { name: "d", type: "double" },
        { name: "t", type: "boolean" },
        { name: "e", type: { type: "enum", name: "color", symbols: ["RED", "GREEN"] } },
        { name: "x", type: { type: "fixed", name: "md5", size: 4 } },
        { name: "m", type: { type: "map", values: "long" } },
        { name: "n", type: "null" },
      ],
    };
    const value = {
      s: "ü😀",
      b: new Uint8Array([0, 255]),
      f: 1.5,
      d: -0,
      t: true,
      e: "GREEN",
      x: new Uint8Array([1, 2, 3, 4]),
      m: { a: 1n, "": -2n },
      n: null,
    };
    expect(decode(schema, encode(schema, value))).toEqual(value);
  });

  it("resolves named types, namespaces and general unions", ({ expect }) => {
    const schema = {
      type: "record",
      name: "outer",
      namespace: "ns",
      fields: [
        { name: "a", type: { type: "record", name: "inner", fields: [{ name: "v", type: "int" }] } },
        { name: "b", type: "inner" },
        { name: "c", type: ["null", "string", "ns.inner", { type: "array", items: "long" }] },
      ],
    };
    for (const c of [null, "text", { v: 3 }, [1n, 2n]]) {
      expect(decode(schema, encode(schema, { a: { v: 1 }, b: { v: 2 }, c }))).toEqual({
        a: { v: 1 },
        b: { v: 2 },
        c,
      });
    }
  });

  it("writes a missing field with its default and reads arrays written in negative-count blocks", ({ expect }) => {
    const schema = {
      type: "record",
      name: "r",
      fields: [{ name: "o", type: ["null", "int"], default: null }],
    };
    expect(decode(schema, encode(schema, {}))).toEqual({ o: null });
    // [7, 8] as one block of count -2 followed by its byte size 2, then the end marker.
    expect(decode({ type: "array", items: "int" }, new Uint8Array([0x03, 0x04, 0x0e, 0x10, 0x00]))).toEqual([
      7,
      8,
    ]);
  });

  it("rejects values that do not fit, naming the path and the value", ({ expect }) => {
    const schema = {
      type: "record",
      name: "r",
      fields: [{ name: "list", type: { type: "array", items: "int" } }],
    };
    expect(() => encode(schema, { list: [1, 2 ** 31] })).toThrow(
      "Avro value at v.list[1] must be a 32-bit integer, got 2147483648",
    );
    expect(() => encode("long", 2n ** 63n)).toThrow("must be a 64-bit integer, got 9223372036854775808n");
    expect(() => encode("long", 0.5)).toThrow(TypeError);
    expect(() => encode(["null", "int"], "x")).toThrow('Avro value at v fits no union branch, got "x"');
    expect(() => encode({ type: "enum", name: "e", symbols: ["A"] }, "B")).toThrow("must be one of A");
  });

  it("rejects unknown types, duplicate names and truncated input", ({ expect }) => {
    expect(() => compileAvroSchema("decimal")).toThrow('Unknown Avro type "decimal"');
    const twice = {
      type: "record",
      name: "r",
      fields: [{ name: "a", type: { type: "fixed", name: "f", size: 1 } }, {
        name: "b",
        type: { type: "fixed", name: "f", size: 2 },
      }],
    };
    expect(() => compileAvroSchema(twice)).toThrow('Avro type "f" is defined twice');
    expect(() => decode("string", new Uint8Array([0x08, 0x61]))).toThrow(
      "Avro data truncated: need 4 bytes at 1 of 2",
    );
    expect(() => decode("long", new Uint8Array(11).fill(0xff))).toThrow(/longer than 10 bytes/);
  });
});
