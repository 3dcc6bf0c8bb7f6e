/**
 * The pipeline's desired state: whether ingestion should run, from which URL, and the
 * reset epoch. Pure helpers; the PipelineControl object persists one `ControlState` value.
 */

/** The whole persisted state of the control object (version field for evolution). */
export interface ControlState {
  v: 1;
  /** Whether the operator wants the ingestor connected. */
  desired: "running" | "stopped";
  /** Stream URL override (backfill / replay); null means the Worker's STREAM_URL. */
  streamUrl: string | null;
  /** `?since=` start for a backfill when the ingestor has no resume id yet. */
  since: string | null;
  /** Bumped by every reset so stale work can be told apart. */
  epoch: number;
  /** Epoch ms of the last change, and who made it. */
  updatedAt: number | null;
  updatedBy: string | null;
}

/** The state of a fresh pipeline. */
export function initialControlState(): ControlState {
  return {
    v: 1,
    desired: "stopped",
    streamUrl: null,
    since: null,
    epoch: 0,
    updatedAt: null,
    updatedBy: null,
  };
}

/** Options of an admin start. */
export interface StartOptions {
  streamUrl?: string | null;
  since?: string | null;
}

/** Returns the state after an admin start. */
export function applyStart(
  state: ControlState,
  options: StartOptions,
  now: number,
  by: string,
): ControlState {
  return {
    ...state,
    desired: "running",
    streamUrl: options.streamUrl ?? state.streamUrl,
    since: options.since ?? null,
    updatedAt: now,
    updatedBy: by,
  };
}

/** Returns the state after an admin stop. */
export function applyStop(state: ControlState, now: number, by: string): ControlState {
  return { ...state, desired: "stopped", updatedAt: now, updatedBy: by };
}

/** Returns the state after a reset: stopped, overrides cleared, epoch bumped. */
export function applyReset(state: ControlState, now: number, by: string): ControlState {
  return { ...initialControlState(), epoch: state.epoch + 1, updatedAt: now, updatedBy: by };
}

/** Whether the watchdog starts a pipeline on its own: AUTO_START is "true" and no operator decided yet. */
export function shouldAutoStart(autoStart: string | undefined, state: ControlState): boolean {
  return autoStart === "true" && state.updatedAt === null;
}
