import assert from "node:assert/strict";
import { createRng } from "./prng.ts";
import { DEFAULT_FILES, loadReplayFrames } from "./recordings.ts";
import { auditLine } from "./stream_audit.ts";
import { BAD_KINDS, makeBadEvent } from "./synth_bad.ts";
import { loadTemplates, makeValidEvent, SynthState } from "./synth_events.ts";

const templates = loadTemplates(await loadReplayFrames(DEFAULT_FILES));
const rng = createRng("bad");
const state = new SynthState(templates, rng, 10);

function freshValid() {
  const event = makeValidEvent(rng.pick(templates), state, rng, {
    timeMs: Date.UTC(2026, 0, 1),
    topic: "t",
    partition: 0,
  });
  assert.equal(auditLine(JSON.stringify(event)).kind, "valid");
  return event;
}

Deno.test("every bad kind made from a valid event is judged that kind by the audit", () => {
  for (const kind of BAD_KINDS) {
    for (let serial = 0; serial < 6; serial++) {
      const bad = makeBadEvent(kind, freshValid(), rng, serial);
      const text = "raw" in bad
        ? (typeof bad.raw === "string" ? bad.raw : new TextDecoder().decode(bad.raw))
        : JSON.stringify(bad.event);
      assert.equal(auditLine(text).kind, kind, `${kind} #${serial}: ${text.slice(0, 80)}`);
    }
  }
});

Deno.test("not-JSON lines rotate through invalid UTF-8, truncation and other garbage", () => {
  const [utf8, truncated, garbage] = [0, 1, 2].map((serial) =>
    makeBadEvent("not_json", freshValid(), rng, serial)
  );
  assert.ok("raw" in utf8 && utf8.raw instanceof Uint8Array);
  assert.throws(() => new TextDecoder("utf-8", { fatal: true }).decode(utf8.raw as Uint8Array));
  assert.ok(
    "raw" in truncated && typeof truncated.raw === "string" && truncated.raw.startsWith("{"),
  );
  assert.ok(!(truncated.raw as string).includes('"offset"'), "no placeholder offset in a broken line");
  assert.ok("raw" in garbage && typeof garbage.raw === "string");
});
