import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "vitest";
import { describeBlobStoreContract } from "./blob_store_contract.ts";
import { FsBlobStore } from "./fs_blob_store.ts";

describeBlobStoreContract(
  "FsBlobStore",
  async () => new FsBlobStore(await mkdtemp(join(tmpdir(), "fs-blob-"))),
);

describe("FsBlobStore", () => {
  it("rejects keys that would escape its directory", async ({ expect }) => {
    const store = new FsBlobStore(await mkdtemp(join(tmpdir(), "fs-blob-")));
    const bytes = new Uint8Array(1);
    await expect(store.put("../escape", bytes)).rejects.toThrow(/"\.\.\/escape"/);
    await expect(store.put("/abs", bytes)).rejects.toThrow(RangeError);
    await expect(store.get("a//b")).rejects.toThrow(RangeError);
    await expect(store.put(".tmp/x", bytes)).rejects.toThrow(/reserved/);
  });

  it("keeps objects on disk under their key paths", async ({ expect }) => {
    const root = await mkdtemp(join(tmpdir(), "fs-blob-"));
    await new FsBlobStore(root).put("wh/wiki/t/metadata/v1.metadata.json", new TextEncoder().encode("{}"));
    expect(await new FsBlobStore(root).list("wh/")).toEqual(["wh/wiki/t/metadata/v1.metadata.json"]);
  });
});
