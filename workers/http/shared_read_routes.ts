/**
 * Read routes' answers shared among concurrent requests for the same answer. A request never gets
 * a read that began before it arrived (FreshFlight), so an answer is as fresh as the request's own
 * read would be; but 200 concurrent clients cost a few Durable Object reads and one serialization
 * per round instead of 200 (bench/RESULTS.md, api). Keys are built from validated parameters only.
 */
import type { z } from "@hono/zod-openapi";
import type { Context, TypedResponse } from "hono";
import type { JSONParsed } from "hono/utils/types";
import { FreshFlight } from "../single_flight.ts";
import { requestWaitUntil } from "./health_routes.ts";

const reads = new FreshFlight<string>();

/**
 * `compute`'s JSON text, shared by the concurrent requests for `key`; the request whose code starts
 * a read keeps it running with `waitUntil` if it goes away before the others got their answer.
 */
export function sharedRead(c: Context, key: string, compute: () => Promise<unknown>): Promise<string> {
  return reads.run(key, () => {
    const reading = compute().then((answer) => JSON.stringify(answer));
    requestWaitUntil(c)?.(reading.catch(() => {})); // its callers see the failure
    return reading;
  });
}

/**
 * A JSON text serialized once, answered as the route's 200 JSON of schema `S` with the headers the
 * middleware prepared (the request id): what `c.json` answers, without serializing again.
 */
export function jsonText<S extends z.ZodType>(c: Context, _schema: S, text: string) {
  const response = c.body(text, 200, { "Content-Type": "application/json" });
  return response as unknown as TypedResponse<JSONParsed<z.infer<S>>, 200, "json">;
}
