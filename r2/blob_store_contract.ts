/**
 * The BlobStore contract suite: every implementation (memory, directory, R2 binding) runs the
 * same tests, which is how drift between the local emulator and the in-memory store shows.
 */
import { describe, it } from "vitest";
import type { BlobStore } from "./blob_store.ts";
import { MULTIPART_PART_BYTES, MultipartWriter } from "./multipart_writer.ts";

const text = (s: string) => new TextEncoder().encode(s);
const read = (b: Uint8Array | null) => (b === null ? null : new TextDecoder().decode(b));
let runs = 0;

/** Registers the contract tests for a BlobStore made by `create` (called once per test). */
export function describeBlobStoreContract(name: string, create: () => BlobStore | Promise<BlobStore>): void {
  describe(`${name} satisfies BlobStore`, () => {
    // A fresh prefix per test keeps tests independent even when the backing store is shared.
    const fresh = async () => ({ store: await create(), p: `contract-${Date.now()}-${runs++}/` });

    it("get() and head() return null for an absent key", async ({ expect }) => {
      const { store, p } = await fresh();
      expect(await store.get(`${p}missing`)).toBeNull();
      expect(await store.head(`${p}missing`)).toBeNull();
    });

    it("uploadedMs() is near the write time, and null for an absent key", async ({ expect }) => {
      const { store, p } = await fresh();
      const before = Date.now();
      await store.put(`${p}aged`, new Uint8Array([1]));
      const at = await store.uploadedMs!(`${p}aged`);
      expect(Math.abs(at! - before)).toBeLessThan(60_000);
      expect(await store.uploadedMs!(`${p}missing`)).toBeNull();
    });

    it("put() stores bytes that get() returns and head() sizes, and replaces them", async ({ expect }) => {
      const { store, p } = await fresh();
      const bytes = new Uint8Array([0, 1, 2, 255, 128, 10]);
      await store.put(`${p}a/b.bin`, bytes);
      expect(await store.get(`${p}a/b.bin`)).toEqual(bytes);
      expect(await store.head(`${p}a/b.bin`)).toEqual({ size: 6 });
      await store.put(`${p}a/b.bin`, text("second"));
      expect(read(await store.get(`${p}a/b.bin`))).toBe("second");
    });

    it("put() keeps its own copy and stores empty objects", async ({ expect }) => {
      const { store, p } = await fresh();
      const bytes = text("keep");
      await store.put(`${p}copy`, bytes);
      bytes[0] = 0;
      expect(read(await store.get(`${p}copy`))).toBe("keep");
      await store.put(`${p}empty`, new Uint8Array(0));
      expect(await store.get(`${p}empty`)).toEqual(new Uint8Array(0));
      expect(await store.head(`${p}empty`)).toEqual({ size: 0 });
    });

    it("putIfAbsent() writes an absent key and refuses a present one without changing it", async ({ expect }) => {
      const { store, p } = await fresh();
      expect(await store.putIfAbsent(`${p}v1.json`, text("first"))).toBe(true);
      expect(await store.putIfAbsent(`${p}v1.json`, text("second"))).toBe(false);
      expect(read(await store.get(`${p}v1.json`))).toBe("first");
      await store.put(`${p}v2.json`, text("put"));
      expect(await store.putIfAbsent(`${p}v2.json`, text("late"))).toBe(false);
      expect(read(await store.get(`${p}v2.json`))).toBe("put");
    });

    it("putIfAbsent lets exactly one of two writers win", async ({ expect }) => {
      const { store, p } = await fresh();
      const wins = await Promise.all([
        store.putIfAbsent(`${p}race`, text("writer-a")),
        store.putIfAbsent(`${p}race`, text("writer-b")),
      ]);
      expect(wins.filter(Boolean)).toHaveLength(1);
      expect(read(await store.get(`${p}race`))).toBe(wins[0] ? "writer-a" : "writer-b");
    });

    it("list() returns every key with the prefix in order, across pages", async ({ expect }) => {
      const { store, p } = await fresh();
      const keys = Array.from({ length: 1005 }, (_, i) => `${p}many/k${String(i).padStart(4, "0")}`);
      for (let i = 0; i < keys.length; i += 100) {
        await Promise.all(keys.slice(i, i + 100).map((k) => store.put(k, text(k))));
      }
      await store.put(`${p}other/x`, text("x"));
      await store.put(`${p}manyx`, text("sibling"));
      expect(await store.list(`${p}many/`)).toEqual(keys);
      expect(await store.list(`${p}many`)).toEqual([...keys, `${p}manyx`]);
      expect(await store.list(`${p}many/k100`)).toEqual(keys.slice(1000));
      expect(await store.list(`${p}none/`)).toEqual([]);
    });

    it("delete() removes the given keys and ignores absent ones", async ({ expect }) => {
      const { store, p } = await fresh();
      await store.put(`${p}d/1`, text("1"));
      await store.put(`${p}d/2`, text("2"));
      await store.put(`${p}d/3`, text("3"));
      await store.delete([`${p}d/1`, `${p}d/3`, `${p}d/absent`]);
      expect(await store.list(`${p}d/`)).toEqual([`${p}d/2`]);
      expect(await store.get(`${p}d/1`)).toBeNull();
      await store.delete([]);
      expect(await store.list(`${p}d/`)).toEqual([`${p}d/2`]);
    });

    it("keys may hold '=', spaces and non-ASCII characters", async ({ expect }) => {
      const { store, p } = await fresh();
      const key = `${p}data/day=2025-01-01/größe file.parquet`;
      await store.put(key, text("ü"));
      expect(read(await store.get(key))).toBe("ü");
      expect(await store.list(`${p}data/`)).toEqual([key]);
    });

    it("a multipart write of equal 5 MiB parts and a short last one reads back whole; an aborted one leaves nothing", async ({ expect }) => {
      const { store, p } = await fresh();
      const bytes = new Uint8Array(2 * MULTIPART_PART_BYTES + 1234).map((_, i) => (i * 7 + (i >> 13)) & 255);
      const writer = new MultipartWriter(await store.createMultipart(`${p}mp`));
      for (let i = 0; i < bytes.length; i += 1_000_003) await writer.write(bytes.subarray(i, i + 1_000_003));
      expect(await store.get(`${p}mp`)).toBeNull(); // not visible before complete
      expect(await writer.finish()).toBe(bytes.length);
      const back = await store.get(`${p}mp`);
      expect(back?.length).toBe(bytes.length);
      expect(back?.every((b, i) => b === bytes[i])).toBe(true);
      const aborted = new MultipartWriter(await store.createMultipart(`${p}gone`));
      await aborted.write(bytes.subarray(0, MULTIPART_PART_BYTES + 1));
      await aborted.abort();
      expect(await store.get(`${p}gone`)).toBeNull();
    });
  });
}
