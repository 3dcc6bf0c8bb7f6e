import { watchIngest } from "../pipeline.ts";

/** The every-minute cron: the ingestor watchdog. */
export const WATCHDOG_CRON = "* * * * *";

/** Runs the job of a cron expression; unknown expressions are logged, never silently ignored. */
export async function handleScheduled(controller: ScheduledController, env: Env): Promise<void> {
  if (controller.cron === WATCHDOG_CRON) {
    const result = await watchIngest(env);
    console.log(JSON.stringify({ msg: "Watchdog ran", cron: controller.cron, ...result }));
    return;
  }
  console.error(JSON.stringify({ msg: "No job for cron", cron: controller.cron }));
}
