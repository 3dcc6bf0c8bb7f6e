import { proxyDurable } from "itty-durable";
import type { ControlState, StartOptions } from "./control.ts";
import { CONTROL_NAME } from "./pipeline_control_object.ts";

/** Typed view of the itty-durable proxy stub of the PipelineControl object. */
export interface ControlClient {
  get(): Promise<ControlState>;
  start(options: StartOptions, now: number, by: string): Promise<ControlState>;
  stop(now: number, by: string): Promise<ControlState>;
  resetControl(now: number, by: string): Promise<ControlState>;
}

/** Returns the control object's client (itty-durable's fetch-based proxy, parsed JSON). */
export function controlClient(namespace: Env["PIPELINE_CONTROL"]): ControlClient {
  return proxyDurable(namespace, { name: "PIPELINE_CONTROL", parse: true }).get(
    CONTROL_NAME,
  ) as ControlClient;
}
