import { createDurable } from "itty-durable";
import {
  applyReset,
  applyStart,
  applyStop,
  type ControlState,
  initialControlState,
  type StartOptions,
} from "./control.ts";

/** The one control object's instance name. */
export const CONTROL_NAME = "pipeline";

/**
 * PipelineControl: a small itty-durable object whose whole state is one persisted value
 * (the desired pipeline state). itty-durable's fetch-based proxy fits it: calls are rare
 * (admin actions, the watchdog cron) and loosely typed JSON is enough. Hot paths use
 * native DO RPC instead.
 */
export class PipelineControl extends createDurable({ autoPersist: true, autoReturn: false }) {
  control: ControlState;

  constructor(state: unknown, env: unknown) {
    super(state as object, env as object);
    this.control = initialControlState();
  }

  /** Returns the current desired state. */
  get(): ControlState {
    return this.control;
  }

  /** Marks ingestion as wanted, with optional URL / since overrides. */
  start(options: StartOptions, now: number, by: string): ControlState {
    this.control = applyStart(this.control, options ?? {}, now, by);
    return this.control;
  }

  /** Marks ingestion as not wanted. */
  stop(now: number, by: string): ControlState {
    this.control = applyStop(this.control, now, by);
    return this.control;
  }

  /** Resets to the initial state with a new epoch. */
  resetControl(now: number, by: string): ControlState {
    this.control = applyReset(this.control, now, by);
    return this.control;
  }
}
