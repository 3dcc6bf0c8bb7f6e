/**
 * `npm run export-lake -- --out DIR [--persist-to .wrangler/state] [--warehouse warehouse]`
 *
 * Copies the warehouse of the local R2 bucket to DIR with the same keys
 * (`DIR/wiki/<table>/metadata/…`, data files likewise) so DuckDB, PyIceberg or any Iceberg
 * reader can open the tables. Consistent while the pipeline runs: per table it reads the
 * current version first, copies data files and manifests, then the metadata files up to that
 * version, and writes `version-hint.text` last.
 */
import { mkdir, writeFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { DEFAULT_PERSIST_DIR, DEFAULT_WAREHOUSE, listKeys, openLocalLake } from "./lib/local_lake.ts";
import { TABLES } from "../r2/tables/schemas.ts";
import type { R2Bucket } from "@cloudflare/workers-types";

const METADATA_FILE = /\/metadata\/v(\d+)\.metadata\.json$/;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      out: { type: "string" },
      "persist-to": { type: "string", default: DEFAULT_PERSIST_DIR },
      warehouse: { type: "string", default: DEFAULT_WAREHOUSE },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help || !values.out) {
    console.error(
      "usage: npm run export-lake -- --out DIR [--persist-to .wrangler/state] [--warehouse warehouse]",
    );
    process.exit(values.help ? 0 : 2);
  }
  const out = resolve(values.out);
  const lake = await openLocalLake(values["persist-to"]);
  try {
    let total = 0;
    for (const spec of TABLES) {
      const prefix = `${values.warehouse}/wiki/${spec.name}`;
      const hint = await lake.bucket.get(`${prefix}/metadata/version-hint.text`);
      if (!hint) {
        console.error(`${spec.name}: no table yet (no version-hint.text), skipped`);
        continue;
      }
      const version = Number(await hint.text());
      const keys = await listKeys(lake.bucket, `${prefix}/`);
      const isMetadata = (k: string) => METADATA_FILE.test(k) || k.endsWith("/version-hint.text");
      const content = keys.filter((k) => !isMetadata(k));
      const metadata = keys.filter((k) => Number(METADATA_FILE.exec(k)?.[1] ?? Infinity) <= version);
      for (const key of [...content, ...metadata]) await copy(lake.bucket, key, values.warehouse, out);
      await writeFile(join(out, `wiki/${spec.name}/metadata/version-hint.text`), String(version));
      total += content.length + metadata.length + 1;
      console.error(
        `${spec.name}: v${version}, ${content.length} data/manifest files, ${metadata.length} metadata files`,
      );
    }
    console.error(`exported ${total} objects to ${out}`);
  } finally {
    await lake.close();
  }
}

async function copy(bucket: R2Bucket, key: string, warehouse: string, out: string): Promise<void> {
  const object = await bucket.get(key);
  if (!object) throw new Error(`object ${key} vanished during the export`);
  const target = join(out, key.slice(warehouse.length + 1));
  await mkdir(dirname(target), { recursive: true });
  await writeFile(target, new Uint8Array(await object.arrayBuffer()));
}

await main();
