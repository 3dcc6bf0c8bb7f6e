/**
 * Reading a table through the BlobStore: finding the current metadata version the way Java's
 * HadoopTableOperations does (version-hint.text, then probing v<N+1>, v<N+2>…; listing
 * metadata/ when there is no usable hint), and loading a snapshot's manifests.
 */
import type { BlobStore } from "../blob_store.ts";
import { decodeManifest, type TablePlace } from "./manifest.ts";
import { decodeManifestList, type ManifestFile } from "./manifest_list.ts";
import type { LoadedManifest } from "./commit_plan.ts";
import { keyFromUri, metadataKey, versionHintKey } from "./paths.ts";
import type { Snapshot } from "./table_metadata.ts";

/** The current metadata file of a table. */
export interface CurrentVersion {
  version: number;
  metadataText: string;
  /** False when version-hint.text is missing or names an older version. */
  hintCurrent: boolean;
}

const decoder = new TextDecoder();
const VERSION_FILE = /\/metadata\/v(\d+)\.metadata\.json$/;

/** Locates the newest metadata version, or null when the table has none. */
export async function locateCurrent(store: BlobStore, prefix: string): Promise<CurrentVersion | null> {
  const hintBytes = await store.get(versionHintKey(prefix));
  const hint = hintBytes && /^\d+$/.test(decoder.decode(hintBytes))
    ? Number(decoder.decode(hintBytes))
    : null;
  let version = hint;
  let bytes = version ? await store.get(metadataKey(prefix, version)) : null;
  if (!bytes) {
    const listed = (await store.list(`${prefix}/metadata/v`))
      .map((k) => Number(VERSION_FILE.exec(k)?.[1] ?? NaN))
      .filter((n) => Number.isInteger(n) && n > 0);
    if (!listed.length) return null;
    version = Math.max(...listed);
    bytes = await store.get(metadataKey(prefix, version));
    if (!bytes) throw new Error(`Metadata v${version} under ${prefix} vanished while being read`);
  }
  for (;;) {
    const next = await store.get(metadataKey(prefix, version! + 1));
    if (!next) break;
    version = version! + 1;
    bytes = next;
  }
  return { version: version!, metadataText: decoder.decode(bytes), hintCurrent: hint === version };
}

/** Reads an object that a table's metadata references; throws when it is missing. */
export async function readReferenced(store: BlobStore, place: TablePlace, uri: string): Promise<Uint8Array> {
  const bytes = await store.get(keyFromUri(place.location, place.prefix, uri));
  if (!bytes) throw new Error(`Referenced file ${uri} is missing`);
  return bytes;
}

/** The manifest list of `snapshot`. */
export async function loadManifestList(
  store: BlobStore,
  place: TablePlace,
  snapshot: Snapshot,
): Promise<ManifestFile[]> {
  return decodeManifestList(await readReferenced(store, place, snapshot["manifest-list"]));
}

/** Loads every manifest of `snapshot` with its entries, in manifest-list order. */
export async function loadManifests(
  store: BlobStore,
  place: TablePlace,
  snapshot: Snapshot,
): Promise<LoadedManifest[]> {
  const files = await loadManifestList(store, place, snapshot);
  return Promise.all(files.map(async (file) => ({
    file,
    entries: await decodeManifest(await readReferenced(store, place, file.manifest_path), place),
  })));
}
