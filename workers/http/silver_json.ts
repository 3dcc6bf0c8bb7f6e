export { silverEventJson } from "../../durable-objects/events_rollup/silver_json.ts";
