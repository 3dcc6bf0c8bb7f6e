import { describe, expect, it } from "vitest";
import { maintenancePolicy, snapshotMaxAgeHoursOf } from "./maintenance_core.ts";
import { BRONZE, GOLD, QUARANTINE, SILVER } from "../../r2/tables/schemas.ts";

describe("maintenancePolicy() and snapshotMaxAgeHoursOf()", () => {
  it("keeps 6 h of snapshots for the tables that commit every interval and 24 h for gold by default", () => {
    const policy = maintenancePolicy({});
    for (const t of [BRONZE, SILVER, QUARANTINE]) expect(snapshotMaxAgeHoursOf(policy, t.name)).toBe(6);
    expect(snapshotMaxAgeHoursOf(policy, GOLD.name)).toBe(24);
  });

  it("reads each age from its own var, and refuses one out of bounds by name", () => {
    const policy = maintenancePolicy({ SNAPSHOT_MAX_AGE_HOURS: "0", GOLD_SNAPSHOT_MAX_AGE_HOURS: "48" });
    expect(snapshotMaxAgeHoursOf(policy, SILVER.name)).toBe(0);
    expect(snapshotMaxAgeHoursOf(policy, GOLD.name)).toBe(48);
    expect(() => maintenancePolicy({ GOLD_SNAPSHOT_MAX_AGE_HOURS: "-1" })).toThrow(RangeError);
    expect(() => maintenancePolicy({ GOLD_SNAPSHOT_MAX_AGE_HOURS: "a day" })).toThrow(/got "a day"/);
  });
});
