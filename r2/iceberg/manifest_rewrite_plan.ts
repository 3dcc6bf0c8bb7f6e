/**
 * Pure decisions of a manifest rewrite, after Iceberg's RewriteManifests: the live entries of
 * the current snapshot's data manifests are regrouped, clustered by partition day (days in
 * order, a manifest holds whole days until it reaches `maxEntries`), as EXISTING entries that
 * keep their original snapshot id and explicit data and file sequence numbers; DELETED
 * entries are dropped (they only matter to the snapshot that deleted them).
 */
import type { LoadedManifest } from "./commit_plan.ts";
import type { ManifestEntry } from "./manifest.ts";

/** Default number of entries per rewritten manifest. */
export const DEFAULT_MANIFEST_ENTRIES = 10_000;

/** The new manifests' entries, or null when the rewrite would not reduce the manifest count. */
export function planManifestRewrite(
  manifests: readonly LoadedManifest[],
  maxEntries = DEFAULT_MANIFEST_ENTRIES,
): ManifestEntry[][] | null {
  if (!Number.isSafeInteger(maxEntries) || maxEntries < 1) {
    throw new RangeError(`maxEntries must be a positive integer, got ${maxEntries}`);
  }
  const live: ManifestEntry[] = [];
  for (const { file, entries } of manifests) {
    for (const e of entries) {
      if (e.status === 2) continue;
      live.push({
        status: 0,
        snapshot_id: e.snapshot_id ?? file.added_snapshot_id,
        sequence_number: e.sequence_number ?? file.sequence_number,
        file_sequence_number: e.file_sequence_number ?? file.sequence_number,
        file: e.file,
      });
    }
  }
  live.sort((a, b) => a.file.partition_day - b.file.partition_day || a.file.path.localeCompare(b.file.path));
  const groups: ManifestEntry[][] = [];
  let i = 0;
  while (i < live.length) {
    const group: ManifestEntry[] = [];
    while (i < live.length) {
      const day = live[i].file.partition_day;
      let j = i;
      while (j < live.length && live[j].file.partition_day === day) j++;
      if (group.length && group.length + (j - i) > maxEntries) break;
      group.push(...live.slice(i, j));
      i = j;
    }
    groups.push(group);
  }
  return groups.length < manifests.length ? groups : null;
}
