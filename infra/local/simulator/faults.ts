/**
 * The fault switches: `failNext()` rules matched by method and path, each used up one request at a time.
 * A rule can hold a request (`delayMs`, or a `gate` promise an in-process test settles to make a race
 * happen on cue), answer it without processing, reset the connection, or let the route serve it in an
 * answer mode that drops, cuts or stalls whatever the route answers (answers.ts carries that out).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { type AnswerMode, type Answers, drain } from './answers';
import { MAINTENANCE_TEXT } from './outages';

/**
 * A fault for the next `times` (default 1) matching requests. Statuses:
 * - a number: answer it (`body` or, for 503, Cloudgene's maintenance text) without processing;
 * - `reset`: destroy the connection without an answer;
 * - `reset-after`: process the request (e.g. accept a submission), then drop the connection;
 * - `truncate`: answer with the full Content-Length but cut the connection halfway through the body;
 * - `stall`: answer with headers and half the body, then send nothing more (until close()).
 * `redirectTo` answers a redirect (`status`, default 302) to that URL, whatever it is (another origin,
 * a private address): what a client does with it is the test.
 * `delayMs` waits before any of this; with no `status` the request is then served normally.
 */
export interface FaultRule {
  method?: string;
  /** A path prefix, or a regular expression on the path. */
  path: string | RegExp;
  status?: number | 'reset' | 'reset-after' | 'truncate' | 'stall';
  body?: string;
  /** Answers a redirect to this URL (absolute, or a path on the simulator) instead. */
  redirectTo?: string;
  delayMs?: number;
  /** Holds the request until this promise settles (in-process tests: make a race happen on cue). */
  gate?: Promise<unknown>;
  times?: number;
}

const ANSWER_MODES: Record<'reset-after' | 'truncate' | 'stall', AnswerMode> = {
  'reset-after': 'dropped',
  truncate: 'truncated',
  stall: 'stalled',
};

export class Faults {
  private readonly rules: (FaultRule & { remaining: number })[] = [];
  /** Requests a fault is holding right now (`delayMs`, `gate`). */
  held = 0;

  add(rule: FaultRule): void {
    this.rules.push({ ...rule, remaining: rule.times ?? 1 });
  }

  clear(): void {
    this.rules.length = 0;
  }

  /**
   * Applies the first rule that matches the request, if one does. `true` when that settled the request
   * (answered, reset, or its client gave up while it was held); `false` when the route is to serve it,
   * in whatever answer mode the rule set.
   */
  async apply(
    request: IncomingMessage,
    response: ServerResponse,
    path: string,
    answers: Answers,
  ): Promise<boolean> {
    const method = request.method ?? 'GET';
    const fault = this.rules.find(
      (f) =>
        f.remaining > 0 &&
        (!f.method || f.method === method) &&
        (typeof f.path === 'string' ? path.startsWith(f.path) : f.path.test(path)),
    );
    if (!fault) return false;
    fault.remaining--;
    if (fault.delayMs || fault.gate) {
      this.held++;
      try {
        if (fault.delayMs) await new Promise((resolve) => setTimeout(resolve, fault.delayMs));
        if (fault.gate) await fault.gate.catch(() => undefined);
      } finally {
        this.held--;
      }
      if (request.socket.destroyed) return true;
    }
    const status = fault.status;
    if (fault.redirectTo !== undefined) {
      await drain(request);
      answers.answer(response, typeof status === 'number' ? status : 302, 'text/plain', '', {
        Location: fault.redirectTo,
      });
      return true;
    }
    if (status === 'reset') {
      answers.record(request, path, 0, 'reset');
      request.socket.destroy();
      return true;
    }
    if (typeof status === 'number') {
      await drain(request);
      answers.sendText(response, status, fault.body ?? (status === 503 ? MAINTENANCE_TEXT : ''));
      return true;
    }
    if (status) answers.setMode(response, ANSWER_MODES[status]);
    return false;
  }
}
