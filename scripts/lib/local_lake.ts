/**
 * Opens the local R2 bucket that `wrangler dev` persists (Miniflare's API over the same
 * state directory), for the scripts that need the lake without a running Worker.
 */
import { join, resolve } from "node:path";
import { existsSync } from "node:fs";
import { convertV4MiniflareOptions, Miniflare } from "miniflare";
import type { R2Bucket } from "@cloudflare/workers-types";

/** Defaults that match wrangler.toml. */
export const DEFAULT_PERSIST_DIR = ".wrangler/state";
export const DEFAULT_BUCKET = "wikiflare-lake";
export const DEFAULT_WAREHOUSE = "warehouse";

/** An open local bucket and how to close it. */
export interface LocalLake {
  bucket: R2Bucket;
  close(): Promise<void>;
}

/** Opens the persisted local bucket under `persistDir` (wrangler's `--persist-to`). */
export async function openLocalLake(
  persistDir = DEFAULT_PERSIST_DIR,
  bucketName = DEFAULT_BUCKET,
  options: { create?: boolean } = {},
): Promise<LocalLake> {
  const root = resolve(persistDir);
  if (!options.create && !existsSync(root)) {
    throw new Error(
      `No local state at ${root}: run \`npm run demo\` (or wrangler dev --persist-to ${persistDir}) first`,
    );
  }
  // Miniflare 5 takes wrangler's v4-style options through its own converter (as `wrangler d1 execute --local` does).
  const mf = new Miniflare(convertV4MiniflareOptions({
    modules: true,
    script: "export default { fetch() { return new Response(null, { status: 404 }); } }",
    resourcePersistencePath: join(root, "v3"),
    r2Buckets: { LAKE: bucketName },
  }));
  const bucket = (await mf.getR2Bucket("LAKE")) as unknown as R2Bucket;
  return { bucket, close: () => mf.dispose() };
}

/** Lists every key under a prefix. */
export async function listKeys(bucket: R2Bucket, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await bucket.list({ prefix, cursor, limit: 1000 });
    keys.push(...page.objects.map((o: { key: string }) => o.key));
    cursor = page.truncated ? page.cursor : undefined;
  } while (cursor);
  return keys;
}
