/**
 * Every cron in wrangler.toml has a job: the test reads the cron strings from wrangler.toml
 * itself, runs each through the Worker's scheduled handler and fails on the handler's
 * "No job for cron" (a cron added to wrangler.toml without a job, or a job whose string drifted).
 */
import { env } from "cloudflare:workers";
import { createScheduledController } from "cloudflare:test";
import { afterEach, describe, expect, it, vi } from "vitest";
import worker from "../main.ts";
import wranglerToml from "../../wrangler.toml?raw";

/** `crons = [...]` of wrangler.toml's [triggers] (TOML basic strings are JSON strings). */
const crons: string[] = JSON.parse(`[${/^\s*crons\s*=\s*\[([^\]]*)\]/m.exec(wranglerToml)?.[1] ?? ""}]`);

describe("cron wiring from wrangler.toml", () => {
  afterEach(() => vi.restoreAllMocks());

  it("wrangler.toml declares crons", () => {
    expect(crons.length).toBeGreaterThanOrEqual(2);
  });

  it.each(crons)("cron %s runs a job", async (cron) => {
    const errors: string[] = [];
    const logs: string[] = [];
    vi.spyOn(console, "error").mockImplementation((line: unknown) => void errors.push(String(line)));
    vi.spyOn(console, "log").mockImplementation((line: unknown) => void logs.push(String(line)));
    await worker.scheduled(createScheduledController({ cron, scheduledTime: Date.now() }), env);
    expect(errors.filter((e) => e.includes("No job for cron"))).toEqual([]);
    expect(logs.some((l) => l.includes(`"cron":${JSON.stringify(cron)}`))).toBe(true);
  });

  it("each job runs on exactly one of wrangler.toml's crons, and maintenance on DESIGN §6's 0 */2 * * *", async () => {
    const jobOf: Record<string, string[]> = {};
    for (const cron of crons) {
      const logs: string[] = [];
      vi.spyOn(console, "error").mockImplementation(() => undefined);
      vi.spyOn(console, "log").mockImplementation((line: unknown) => void logs.push(String(line)));
      await worker.scheduled(createScheduledController({ cron, scheduledTime: Date.now() }), env);
      vi.restoreAllMocks();
      // The handler's one summary line per run names the job: "Watchdog ran", "Correction ran", …
      jobOf[cron] = logs.map((l) => /"msg":"(\w+) ran"/.exec(l)?.[1]).filter((j) => j !== undefined);
    }
    expect(Object.values(jobOf).map((jobs) => jobs.length)).toEqual(crons.map(() => 1));
    expect(Object.values(jobOf).flat().sort()).toEqual(["Correction", "Maintenance", "Watchdog"]);
    expect(jobOf["0 */2 * * *"]).toEqual(["Maintenance"]);
  });

  it("an expression with no job is reported (the check above can fail)", async () => {
    const errors: string[] = [];
    vi.spyOn(console, "error").mockImplementation((line: unknown) => void errors.push(String(line)));
    await worker.scheduled(createScheduledController({ cron: "7 7 7 7 *", scheduledTime: Date.now() }), env);
    expect(errors.some((e) => e.includes("No job for cron"))).toBe(true);
  });
});
