import { describe, expect, it } from "vitest";
import { coalescer, offer, sseFrame, takeDue } from "./coalesce.ts";

describe("live hub coalescing", () => {
  it("sends the first update at once and coalesces the next ones within a second to the newest", () => {
    const s = coalescer<string>(1_000);
    expect(offer(s, "w1", "a", 10_000)).toBe("a");
    expect(offer(s, "w1", "b", 10_100)).toBeNull();
    expect(offer(s, "w1", "c", 10_500)).toBeNull();
    expect(offer(s, "w2", "x", 10_500)).toBe("x"); // keys are independent
    expect(takeDue(s, 10_900)).toEqual({ send: [], nextAt: 11_000 });
    expect(takeDue(s, 11_000)).toEqual({ send: ["c"], nextAt: null });
    // the value sent last is the newest; after it nothing more is pending
    expect(takeDue(s, 20_000)).toEqual({ send: [], nextAt: null });
    expect(offer(s, "w1", "d", 20_000)).toBe("d");
  });

  it("never sends one key twice within the interval, and always sends the final value", () => {
    const s = coalescer<number>(1_000);
    const sent: Array<{ t: number; v: number }> = [];
    for (let t = 0; t < 5_000; t += 70) {
      const now = offer(s, "k", t, t);
      if (now !== null) sent.push({ t, v: now });
      for (const v of takeDue(s, t).send) sent.push({ t, v });
    }
    for (const v of takeDue(s, 10_000).send) sent.push({ t: 10_000, v });
    for (let i = 1; i < sent.length; i++) expect(sent[i]!.t - sent[i - 1]!.t).toBeGreaterThanOrEqual(1_000);
    expect(sent.at(-1)!.v).toBe(4_970);
  });

  it("frames SSE events as one data line", () => {
    expect(sseFrame("window", { a: "x\ny" })).toBe('event: window\ndata: {"a":"x\\ny"}\n\n');
  });
});
