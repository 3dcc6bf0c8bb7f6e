import { env } from "cloudflare:workers";
import { describeBlobStoreContract } from "./blob_store_contract.ts";
import { R2BlobStore } from "./r2_blob_store_binding.ts";

describeBlobStoreContract("R2BlobStore", () => new R2BlobStore(env.LAKE));
