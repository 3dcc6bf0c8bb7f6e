import { describe, expect, it } from "vitest";
import { buildHealth, type HealthInputs } from "./health.ts";
import { initialControlState } from "../durable-objects/pipeline_control/control.ts";
import type { IngestorStatus } from "../durable-objects/stream_ingestor/ingestor_state.ts";

const ingestor: IngestorStatus = {
  running: false,
  connected: false,
  url: null,
  last_event_id: null,
  events_per_second: 0,
  lag_seconds: null,
  received: 0,
  canary: 0,
  rereads: 0,
  spilled: 0,
  messages_sent: 0,
  messages_unacknowledged: 0,
  connections: 0,
  reconnects: 0,
  last_error: null,
  last_connected_at: null,
  sequence: { epoch: null, next_seq: 0 },
};

const inputs = (dead: Partial<HealthInputs>): HealthInputs => ({
  now: Date.UTC(2026, 0, 1),
  control: initialControlState(),
  ingestor,
  tables: [],
  watermark: null,
  deadLettered: 0,
  ...dead,
});

describe("buildHealth dead-letter counts", () => {
  it("is ok without dead letters", () => {
    expect(buildHealth(inputs({}))).toMatchObject({
      status: "ok",
      dead_lettered: 0,
      dead_letters_to_replay: 0,
    });
  });

  it("is degraded while a dead letter waits for a replay", () => {
    expect(buildHealth(inputs({ deadLettered: 3, deadLettersToReplay: 1 }))).toMatchObject({
      status: "degraded",
      dead_lettered: 3,
      dead_letters_to_replay: 1,
    });
  });

  it("is ok again once every dead letter was replayed, still counting them all", () => {
    expect(buildHealth(inputs({ deadLettered: 3, deadLettersToReplay: 0 }))).toMatchObject({
      status: "ok",
      dead_lettered: 3,
      dead_letters_to_replay: 0,
    });
  });

  it("counts every dead letter as pending when only the total is known", () => {
    expect(buildHealth(inputs({ deadLettered: 2 }))).toMatchObject({
      status: "degraded",
      dead_letters_to_replay: 2,
    });
  });
});

describe("buildHealth reasons", () => {
  it("is degraded with the admission gap's reason and shows the admission report", () => {
    const report = buildHealth(
      inputs({ reasons: ["admission gap: message 4 …"], admission: { next_seq: 4 } }),
    );
    expect(report).toMatchObject({ status: "degraded", reasons: ["admission gap: message 4 …"] });
    expect(report.admission).toEqual({ next_seq: 4 });
    expect(buildHealth(inputs({})).reasons).toEqual([]);
  });
});
