import { describe, expect, it } from "vitest";
import { FreshFlight, SingleFlight } from "./single_flight.ts";

describe("SingleFlight", () => {
  it("shares one computation among callers of the same key while it is in flight", async () => {
    const flight = new SingleFlight<number>();
    let runs = 0;
    let release!: (n: number) => void;
    const fn = () => {
      runs++;
      return new Promise<number>((r) => (release = r));
    };
    const callers = [flight.run("a", fn), flight.run("a", fn), flight.run("a", fn)];
    expect(runs).toBe(1);
    release(7);
    expect(await Promise.all(callers)).toEqual([7, 7, 7]);
    expect(flight.size).toBe(0);
  });

  it("keeps nothing once settled: a later caller starts a fresh computation", async () => {
    const flight = new SingleFlight<number>();
    let runs = 0;
    const fn = async () => ++runs;
    expect(await flight.run("a", fn)).toBe(1);
    expect(await flight.run("a", fn)).toBe(2);
  });

  it("runs different keys separately, and a failure reaches every waiting caller, then clears", async () => {
    const flight = new SingleFlight<number>();
    let runs = 0;
    const failing = async () => {
      runs++;
      throw new Error("boom");
    };
    const [x, y] = [flight.run("a", failing), flight.run("a", failing)];
    await expect(x).rejects.toThrow("boom");
    await expect(y).rejects.toThrow("boom");
    expect(runs).toBe(1);
    expect(flight.size).toBe(0);
    expect(await Promise.all([flight.run("b", async () => 1), flight.run("c", async () => 2)])).toEqual([
      1,
      2,
    ]);
  });
});

describe("FreshFlight", () => {
  /** A computation whose runs are released by hand, each resolving to its run number. */
  function manual() {
    const releases: Array<() => void> = [];
    let runs = 0;
    const fn = () => {
      const n = ++runs;
      return new Promise<number>((r) => releases.push(() => r(n)));
    };
    return { fn, releases, runs: () => runs };
  }

  it("gives a caller that arrives during a run the next run, shared by every such caller", async () => {
    const flight = new FreshFlight<number>();
    const m = manual();
    const first = flight.run("a", m.fn);
    const late = [flight.run("a", m.fn), flight.run("a", m.fn), flight.run("a", m.fn)];
    expect(m.runs()).toBe(1); // the next run waits for the first to settle
    m.releases[0]!();
    expect(await first).toBe(1);
    await new Promise((r) => setTimeout(r, 0));
    expect(m.runs()).toBe(2);
    const later = flight.run("a", m.fn); // arrives while run 2 is in flight: gets run 3
    m.releases[1]!();
    expect(await Promise.all(late)).toEqual([2, 2, 2]);
    await new Promise((r) => setTimeout(r, 0));
    m.releases[2]!();
    expect(await later).toBe(3);
    expect(m.runs()).toBe(3);
    expect(flight.size).toBe(0);
  });

  it("starts the next run after a failed one, and keys run independently", async () => {
    const flight = new FreshFlight<string>();
    let runs = 0;
    let fail!: (e: Error) => void;
    const first = flight.run("a", () => new Promise<string>((_, rej) => (fail = rej)));
    const next = flight.run("a", async () => `run ${++runs}`);
    const other = flight.run("b", async () => "b");
    fail(new Error("boom"));
    await expect(first).rejects.toThrow("boom");
    expect(await next).toBe("run 1");
    expect(await other).toBe("b");
    expect(flight.size).toBe(0);
  });
});
