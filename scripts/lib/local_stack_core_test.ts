import assert from "node:assert/strict";
import { parseVar } from "./local_stack_core.ts";

const TOML = `name = "x"
COMMIT_INTERVAL_SECONDS = "99"

[vars]
# Seconds between commits.
COMMIT_INTERVAL_SECONDS = "10"
SNAPSHOT_MAX_AGE_HOURS = '6' # hours
EMPTY = ""

[triggers]
OTHER = "not a var"
`;

Deno.test("parseVar reads a string of the [vars] table, not a key of the same name elsewhere", () => {
  assert.equal(parseVar(TOML, "COMMIT_INTERVAL_SECONDS"), "10");
  assert.equal(parseVar(TOML, "SNAPSHOT_MAX_AGE_HOURS"), "6");
  assert.equal(parseVar(TOML, "EMPTY"), "");
});

Deno.test("parseVar answers null for a name outside [vars] or a file without [vars]", () => {
  assert.equal(parseVar(TOML, "OTHER"), null);
  assert.equal(parseVar(TOML, "MISSING"), null);
  assert.equal(parseVar('name = "x"\n', "COMMIT_INTERVAL_SECONDS"), null);
});
