/**
 * The task wrapper's input parsing: any zod schema (`zod/mini` or classic) reads the state input, and a
 * mismatch fails the task as `ZodError` before the task runs (the name Step Functions and RecordFailure
 * report, as with classic zod's `parse`).
 */
import { describe, expect, it, vi } from 'vitest';
import { z as classic } from 'zod';
import * as z from 'zod/mini';
import { handler as recordFailure } from '#functions/workflow/record-failure';
import { jobRefSchema } from '#shared/workflow/job-context';
import { workflowTask } from '#shared/workflow/workflow-task';

describe('workflowTask input', () => {
  it('hands the task what a zod/mini schema parsed, defaults included', async () => {
    const run = vi.fn(async (input: { jobId: string; owner: string; tries: number }) => input.tries);
    const task = workflowTask('t', z.extend(jobRefSchema, { tries: z._default(z.int(), 3) }), run);
    await expect(task({ jobId: 'j-1', owner: 'alice', extra: 'dropped' })).resolves.toBe(3);
    expect(run).toHaveBeenCalledWith({ jobId: 'j-1', owner: 'alice', tries: 3 });
  });

  it('accepts a classic schema too', async () => {
    const schema = classic.object({
      jobId: classic.string(),
      owner: classic.string(),
      n: classic.coerce.number(),
    });
    const task = workflowTask('t', schema, async (input) => input.n * 2);
    await expect(task({ jobId: 'j-1', owner: 'alice', n: '21' })).resolves.toBe(42);
  });

  it('fails as ZodError, with the issues, before the task runs', async () => {
    const run = vi.fn(async () => 'ran');
    const task = workflowTask('t', jobRefSchema, run);
    const failure = await task({ jobId: 'j-1', owner: '' }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(Error);
    expect(failure).toMatchObject({
      name: 'ZodError',
      issues: [expect.objectContaining({ path: ['owner'], code: 'too_small' })],
    });
    expect(run).not.toHaveBeenCalled();
  });

  it('is what a real task does with a state input that lacks the owner', async () => {
    await expect(recordFailure({ jobId: 'j-1', error: 'States.Timeout' })).rejects.toMatchObject({
      name: 'ZodError',
      issues: [
        expect.objectContaining({ path: ['owner'], message: expect.stringMatching(/expected string/) }),
      ],
    });
  });
});
