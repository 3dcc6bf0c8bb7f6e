/**
 * Test support: reads a table with icebird (an independent Iceberg reader) straight from a
 * BlobStore. icebird fetches `s3://bucket/key` as `https://bucket.s3.amazonaws.com/key`; this
 * serves those requests (with Range support) from the store for the duration of one read.
 */
import { icebergRead } from "icebird";
import type { BlobStore } from "../blob_store.ts";

/** Reads every row of the table at `location` (an s3:// URI in `bucket`) through icebird. */
export async function readWithIcebird(
  store: BlobStore,
  location: string,
  metadataFileName: string,
): Promise<Record<string, unknown>[]> {
  const realFetch = globalThis.fetch;
  globalThis.fetch = (async (input: string | URL | Request, init?: RequestInit) => {
    const url = new URL(typeof input === "string" || input instanceof URL ? input : input.url);
    const match = /^([^.]+)\.s3\.amazonaws\.com$/.exec(url.hostname);
    const bytes = match ? await store.get(decodeURIComponent(url.pathname.slice(1))) : null;
    if (!bytes) return new Response("not found", { status: 404, statusText: "Not Found" });
    const headers = new Headers(init?.headers ?? (input instanceof Request ? input.headers : undefined));
    const range = /^bytes=(\d+)-(\d*)$/.exec(headers.get("range") ?? "");
    if ((init?.method ?? "GET").toUpperCase() === "HEAD") {
      return new Response(null, { status: 200, headers: { "content-length": String(bytes.length) } });
    }
    if (!range) return new Response(bytes as Uint8Array<ArrayBuffer>, { status: 200 });
    const start = Number(range[1]);
    const end = range[2] ? Number(range[2]) + 1 : bytes.length;
    return new Response(bytes.slice(start, end) as Uint8Array<ArrayBuffer>, {
      status: 206,
      headers: { "content-range": `bytes ${start}-${end - 1}/${bytes.length}` },
    });
  }) as typeof fetch;
  try {
    return await icebergRead({ tableUrl: location, metadataFileName });
  } finally {
    globalThis.fetch = realFetch;
  }
}
