import { describeBlobStoreContract } from "./blob_store_contract.ts";
import { MemoryBlobStore } from "./memory_blob_store.ts";

describeBlobStoreContract("MemoryBlobStore", () => new MemoryBlobStore());
