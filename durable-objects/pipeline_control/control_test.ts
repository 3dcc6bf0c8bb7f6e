import { describe, expect, it } from "vitest";
import { applyReset, applyStart, applyStop, initialControlState, shouldAutoStart } from "./control.ts";

describe("pipeline control state", () => {
  it("auto-starts only a pipeline nobody has started or stopped, and only when AUTO_START is true", () => {
    const fresh = initialControlState();
    expect(shouldAutoStart("true", fresh)).toBe(true);
    expect(shouldAutoStart("false", fresh)).toBe(false);
    expect(shouldAutoStart(undefined, fresh)).toBe(false);
    expect(shouldAutoStart("true", applyStop(fresh, 1, "admin"))).toBe(false);
  });

  it("keeps the URL override across stop and clears it on reset with a new epoch", () => {
    const started = applyStart(
      initialControlState(),
      { streamUrl: "http://127.0.0.1:1/s", since: "2026-01-01T00:00:00Z" },
      5,
      "admin",
    );
    expect(started).toMatchObject({
      desired: "running",
      streamUrl: "http://127.0.0.1:1/s",
      since: "2026-01-01T00:00:00Z",
    });
    const stopped = applyStop(started, 6, "admin");
    expect(stopped).toMatchObject({ desired: "stopped", streamUrl: "http://127.0.0.1:1/s", updatedAt: 6 });
    const reset = applyReset(stopped, 7, "admin");
    expect(reset).toMatchObject({ desired: "stopped", streamUrl: null, since: null, epoch: 1, updatedAt: 7 });
  });
});
