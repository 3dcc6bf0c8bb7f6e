/**
 * Time travel on the real local R2: gold windows committed, then replaced by a correction;
 * `/api/kpis?as_of=<before the correction>` answers the old numbers, `snapshot_id=<current>` the
 * new ones; both parameters → 400, an unknown snapshot or a time before the first → 404; the
 * snapshot listing names the current snapshot id as a string.
 */
import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { GOLD } from "../../r2/tables/schemas.ts";
import type { GoldRow } from "../../r2/tables/rows.ts";
import { writeDataFiles } from "../../r2/testing/lake_fixture.ts";
import { sampleRows } from "../../r2/testing/sample_rows.ts";
import { openLakeTable } from "../../test/workerd/lake_table.ts";

const fetchApp = (path: string) =>
  (exports as any).default.fetch(new Request(`http://wikiflare.test${path}`));
const DAY = Date.UTC(2025, 6, 1);
const RANGE = `from=${new Date(DAY).toISOString()}&to=${new Date(DAY + 86_400_000).toISOString()}`;
const pairs = (rows: { window_start: number | string; total_edits: number }[]) =>
  rows.map((r) => `${new Date(r.window_start).toISOString()}=${r.total_edits}`).sort();

describe("GET /api/kpis time travel", () => {
  it("answers a kept gold snapshot's windows, before and after a correction", async () => {
    const { store, table, committer } = openLakeTable(GOLD);
    // Distinct windows: sampleRows spreads window_start over the day.
    const original = (sampleRows(GOLD, 8, DAY, "w") as GoldRow[]).map((r, i) => ({
      ...r,
      total_edits: 100 + i,
    }));
    const written = await writeDataFiles(store, table, GOLD, original, "tt-original");
    await committer.stage({
      table: GOLD.name,
      stageId: "tt-1",
      owners: ["tt-1"],
      files: written.map((w) => w.file),
      rows: original.length,
      duplicates: 0,
    });
    const first = await committer.commitNow();
    await new Promise((r) => setTimeout(r, 20));
    const beforeCorrection = new Date().toISOString();
    await new Promise((r) => setTimeout(r, 20));
    const corrected = original.map((r) => ({ ...r, total_edits: r.total_edits + 1000 }));
    const rewritten = await writeDataFiles(store, table, GOLD, corrected, "tt-corrected");
    const day = DAY / 86_400_000;
    expect(
      await committer.replacePartitions({
        table: GOLD.name,
        commitId: "tt-correction",
        days: [day],
        files: rewritten.map((w) => w.file),
        expectedRows: { [day]: original.length },
      }),
    ).toMatchObject({ ok: true, kind: "committed" });

    const old = await fetchApp(`/api/kpis?${RANGE}&as_of=${beforeCorrection}`);
    expect(old.status).toBe(200);
    const oldBody = await old.json() as { as_of: string; snapshot_id: string; windows: any[] };
    expect(oldBody.snapshot_id).toBe(first.snapshot_id);
    expect(oldBody.as_of).toBe(beforeCorrection);
    expect(pairs(oldBody.windows)).toEqual(pairs(original));
    expect(oldBody.windows.every((w) => w.final === true)).toBe(true);

    const listing = await (await fetchApp(`/api/tables/${GOLD.name}/snapshots`)).json() as {
      current_snapshot_id: string;
      snapshots: { snapshot_id: string }[];
    };
    expect(listing.current_snapshot_id).toMatch(/^\d+$/);
    expect(listing.snapshots.at(-1)!.snapshot_id).toBe(listing.current_snapshot_id);
    const now = await (await fetchApp(`/api/kpis?${RANGE}&snapshot_id=${listing.current_snapshot_id}`))
      .json() as {
        snapshot_id: string;
        windows: any[];
      };
    expect(now.snapshot_id).toBe(listing.current_snapshot_id);
    expect(pairs(now.windows)).toEqual(pairs(corrected));

    expect((await fetchApp(`/api/kpis?${RANGE}&as_of=${beforeCorrection}&snapshot_id=1`)).status).toBe(400);
    expect((await fetchApp(`/api/kpis?${RANGE}&snapshot_id=12x`)).status).toBe(400);
    expect((await fetchApp(`/api/kpis?${RANGE}&snapshot_id=9223372036854775808`)).status).toBe(400);
    expect((await fetchApp(`/api/kpis?${RANGE}&snapshot_id=9223372036854775807`)).status).toBe(404);
    expect((await fetchApp(`/api/kpis?${RANGE}&as_of=2001-01-01T00:00:00Z`)).status).toBe(404);
  });
});
