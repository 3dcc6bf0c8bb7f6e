/**
 * The dead-letter admin API: guarded like the rest of /api/admin, bounded by a validated
 * `?limit=`, listing pending dead letters and replaying them in key order, skipping (and
 * keeping) those whose body could never be ingested.
 */
import { env } from "cloudflare:workers";
import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import worker from "../main.ts";
import { app } from "./app.ts";
import { deadLettersRoutes } from "./dead_letters_routes.ts";
import { buildRawEvents } from "../../r2/testing/raw_events_fixture.ts";
import { DEAD_LETTER_QUEUE } from "../queue/queue_names.ts";

const AUTH = { Authorization: `Bearer ${env.ADMIN_TOKEN}` };
const asAny = (b: unknown): any => b;

/** The real queue binding, remembering what was sent through it. */
function recordingQueue() {
  const sent: { batch_id: string }[] = [];
  const queue = {
    sendBatch: async (messages: Iterable<MessageSendRequest>) => {
      for (const m of messages) sent.push(m.body as { batch_id: string });
      return await env.RAW_EVENTS.sendBatch(messages);
    },
  };
  return { sent, env: { ...env, RAW_EVENTS: queue as unknown as Env["RAW_EVENTS"] } };
}

describe("dead-letter admin API guard and parameters", () => {
  it("answers 401 without a token, 403 with a wrong one and 503 when no token is configured", async () => {
    for (
      const [method, path] of [["GET", "/api/admin/dead-letters"], ["POST", "/api/admin/dead-letters/replay"]]
    ) {
      expect((await app.request(path, { method }, env)).status).toBe(401);
      const wrong = await app.request(path, { method, headers: { Authorization: "Bearer nope" } }, env);
      expect(wrong.status).toBe(403);
      expect(await wrong.json()).toEqual({ error: { status: 403, message: "Invalid admin token" } });
      const off = await deadLettersRoutes.request(path.replace("/api/admin/dead-letters", "") || "/", {
        method,
        headers: AUTH,
      }, { ...env, ADMIN_TOKEN: undefined });
      expect(off.status).toBe(503);
    }
  });

  it("refuses a limit that is not an integer from 1 to 1000 with a JSON 400", async () => {
    for (const limit of ["0", "1001", "abc", "1.5", "-1", "", "99999"]) {
      for (
        const [method, path] of [["GET", "/api/admin/dead-letters"], [
          "POST",
          "/api/admin/dead-letters/replay",
        ]]
      ) {
        const response = await app.request(`${path}?limit=${limit}`, { method, headers: AUTH }, env);
        expect(response.status).toBe(400);
        const body = await response.json().then(asAny);
        expect(body.error).toEqual({
          status: 400,
          message: expect.stringContaining('"limit" must be an integer'),
        });
      }
    }
  });
});

describe("dead-letter admin API over real dead letters", () => {
  it("lists and replays at most `limit` letters per call, keeping the unreplayable one pending", async () => {
    const { messages } = buildRawEvents({
      tag: "routes",
      valid: 4,
      resent: 0,
      bad: 0,
      days: 1,
      perMessage: 2,
      startMs: Date.UTC(2026, 6, 1),
      firstOffset: 5_000_000,
    });
    const poison = { hello: "world" };
    const batch = createMessageBatch<unknown>(DEAD_LETTER_QUEUE, [
      ...messages.map((body) => ({ id: body.batch_id, timestamp: new Date(), attempts: 1, body })),
      { id: "poison", timestamp: new Date(), attempts: 1, body: poison },
    ]);
    const ctx = createExecutionContext();
    await worker.queue(batch, env);
    expect((await getQueueResult(batch, ctx)).explicitAcks.length).toBe(3);
    const list = async (query = "") =>
      await (await app.request(`/api/admin/dead-letters${query}`, { headers: AUTH }, env)).json().then(asAny);
    const all = await list();
    expect(all.truncated).toBe(false);
    expect(all.dead_letters.map((d: any) => [d.batch_id, d.events, d.replayable])).toEqual([
      ["message-poison", null, false],
      ["routes-batch-0", 2, true],
      ["routes-batch-1", 2, true],
    ]);
    const two = await list("?limit=2");
    expect(two.dead_letters.length).toBe(2);
    expect(two.truncated).toBe(true);

    const queue = recordingQueue();
    const replay = async () =>
      await (await app.request(
        "/api/admin/dead-letters/replay?limit=2",
        { method: "POST", headers: AUTH },
        queue.env,
      ))
        .json().then(asAny);
    const skipped = [{ batch_id: "message-poison", reason: expect.stringContaining("not replayable") }];
    expect(await replay()).toEqual({ replayed: 1, batch_ids: ["routes-batch-0"], skipped, remaining: 2 });
    expect(await replay()).toEqual({ replayed: 1, batch_ids: ["routes-batch-1"], skipped, remaining: 1 });
    expect(await replay()).toEqual({ replayed: 0, batch_ids: [], skipped, remaining: 1 });
    expect(queue.sent.map((m) => m.batch_id)).toEqual(["routes-batch-0", "routes-batch-1"]);
    expect(queue.sent).toEqual(messages);
    expect((await list()).dead_letters.map((d: any) => d.batch_id)).toEqual(["message-poison"]);
    const health = await (await app.request("/api/health", {}, env)).json().then(asAny);
    expect(health.dead_lettered).toBe(3);
  });
});
