/**
 * Pure decisions of orphan removal, after Iceberg's DeleteOrphanFiles: an object under the
 * table's `data/` or `metadata/` directory is an orphan when no kept snapshot reaches it (its
 * manifest list, its manifests, any entry of those manifests) and it is older than the minimum
 * age. The age guard is what keeps files an in-flight commit is about to reference (Java's
 * `olderThan`, default 3 days; here ORPHAN_MIN_AGE_HOURS); files staged in the committer are
 * protected by name as well. Metadata JSON files and the version hint are never orphans (they
 * are the table; expiration bounds them).
 */

/** Default minimum age of an orphan (ORPHAN_MIN_AGE_HOURS). */
export const DEFAULT_ORPHAN_MIN_AGE_HOURS = 3;

const TABLE_FILE = /\/metadata\/(v\d+\.metadata\.json|version-hint\.text)$/;

/** Keys of `listed` that nothing references or protects and that may be table files to clean. */
export function orphanCandidates(
  prefix: string,
  listed: readonly string[],
  referenced: ReadonlySet<string>,
  protectedKeys: ReadonlySet<string>,
): string[] {
  return listed.filter((key) =>
    (key.startsWith(`${prefix}/data/`) || key.startsWith(`${prefix}/metadata/`)) &&
    !TABLE_FILE.test(key) && !referenced.has(key) && !protectedKeys.has(key)
  );
}

/** Whether an object written at `uploadedMs` (null: unknown) is old enough to delete. */
export function oldEnough(uploadedMs: number | null, nowMs: number, minAgeMs: number): boolean {
  if (!Number.isFinite(minAgeMs) || minAgeMs < 0) {
    throw new RangeError(`minAgeMs must be ≥ 0, got ${minAgeMs}`);
  }
  return uploadedMs !== null && uploadedMs <= nowMs - minAgeMs;
}
