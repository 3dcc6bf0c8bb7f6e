import { watchIngest } from "../pipeline.ts";
import { DEFAULT_MAX_FILES, runCorrection } from "../correction.ts";
import { correctionLookbackHours } from "../http/admin_params.ts";
import { pruneAllClaims, retireGoldWindows, runMaintenance } from "../maintenance.ts";
import { MAINTENANCE_JOBS } from "../../durable-objects/table_committer/maintenance_core.ts";
import { TABLES } from "../../r2/tables/schemas.ts";

/** The every-minute cron: the ingestor watchdog. */
export const WATCHDOG_CRON = "* * * * *";
/** The every-15-minutes cron: the late-data correction. */
export const CORRECTION_CRON = "*/15 * * * *";

/** The every-2-hours cron: table maintenance (every job on every table). */
export const MAINTENANCE_CRON = "0 */2 * * *";

/** Runs the job of a cron expression; unknown expressions are logged, never silently ignored. */
export async function handleScheduled(controller: ScheduledController, env: Env): Promise<void> {
  if (controller.cron === WATCHDOG_CRON) {
    const result = await watchIngest(env);
    console.log(JSON.stringify({ msg: "Watchdog ran", cron: controller.cron, ...result }));
    return;
  }
  if (controller.cron === CORRECTION_CRON) {
    const report = await runCorrection(env, {
      lookbackHours: correctionLookbackHours(env.CORRECTION_LOOKBACK_HOURS),
      maxFiles: DEFAULT_MAX_FILES,
      now: controller.scheduledTime,
    });
    console.log(JSON.stringify({ msg: "Correction ran", cron: controller.cron, ...report }));
    return;
  }
  if (controller.cron === MAINTENANCE_CRON) {
    const run = await runMaintenance(env, {
      jobs: MAINTENANCE_JOBS,
      tables: TABLES.map((t) => t.name),
      now: controller.scheduledTime,
    });
    const pruned = await pruneAllClaims(
      env,
      controller.scheduledTime,
      correctionLookbackHours(env.CORRECTION_LOOKBACK_HOURS),
    );
    console.log(JSON.stringify({ msg: "Dedup state pruned", pruned }));
    const retired = await retireGoldWindows(
      env,
      controller.scheduledTime,
      correctionLookbackHours(env.CORRECTION_LOOKBACK_HOURS),
    );
    console.log(JSON.stringify({ msg: "Gold windows retired", ...retired }));
    console.log(
      JSON.stringify({
        msg: "Maintenance ran",
        cron: controller.cron,
        jobs: run.jobs.length,
        took_ms: run.took_ms,
      }),
    );
    return;
  }
  console.error(JSON.stringify({ msg: "No job for cron", cron: controller.cron }));
}
