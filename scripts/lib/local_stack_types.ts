/** Shapes of /api/health that the local stack relies on. */

/** The `events` block of /api/health (DESIGN §4). */
export interface HealthEvents {
  received: number;
  canary: number;
  bronze: number;
  silver: number;
  quarantine: number;
  duplicate: number;
}

/** The parts of /api/health the stack relies on; more fields are passed through. */
export interface HealthReport {
  status: string;
  watermark: string | null;
  events: HealthEvents;
  [key: string]: unknown;
}
