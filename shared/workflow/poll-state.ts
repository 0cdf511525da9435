/**
 * The poll state (`$.poll`) the workflow hands from SubmitJob to PollJob, and on to the next execution
 * through ContinueAsNewExecution: the last outcome, the next wait and the backoff it grows from, and
 * counters. It lives in the execution history, so it carries numbers and outcomes only, never a token or
 * the service's text. Loose: fields a task adds for a later state (e.g. the Map's `files`) pass through.
 */
import * as z from 'zod/mini';

export const pollStateSchema = z.looseObject({
  outcome: z.optional(z.string()),
  waitSeconds: z.optional(z.number()),
  /** The unscaled wait the backoff grows from. */
  baseWaitSeconds: z.optional(z.number()),
  pollCount: z.optional(z.int()),
  remoteState: z.optional(z.number()),
  lastChange: z.optional(z.string()),
  continuation: z.optional(z.int()),
});
export type PollState = z.infer<typeof pollStateSchema>;
