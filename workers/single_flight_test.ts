import { describe, expect, it } from "vitest";
import { SingleFlight } from "./single_flight.ts";

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
