/**
 * Every status change in the code goes through JobRepository.transition with a target and, mostly, a
 * `from` list. This test reads those calls out of the source and checks each edge against the table, so
 * a new call cannot widen it unnoticed; the repository also refuses a widened list at run time.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { describe, expect, it } from 'vitest';
import { JobRepository } from '#shared/jobs/job-repository';
import {
  allowedPredecessors,
  canTransition,
  IllegalTransitionError,
  isTerminal,
  JobStatus,
  jobStatuses,
} from '#shared/jobs/job-status';

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sources(path) : path.endsWith('.ts') ? [path] : [];
  });
}

/** The states a `from:` expression names: a literal list, a named list (in the file or job-status.ts), or all live states. */
function resolveFrom(expression: string, file: string): string[] | undefined {
  const names = (list: string) =>
    [...list.matchAll(/JobStatus\.([A-Z_]+)|\bS\.([A-Z_]+)/g)].map((m) => (m[1] ?? m[2])!);
  if (expression.startsWith('jobStatuses.filter')) {
    return jobStatuses.filter((status) => !isTerminal(status));
  }
  const literal = /^\[([^\]]*)\]$/.exec(expression)?.[1];
  if (literal !== undefined && !literal.includes('...')) return names(literal);
  const named = /^(?:\[\.\.\.)?([A-Z_]+)\]?$/.exec(expression)?.[1];
  if (!named) return undefined;
  for (const source of [readFileSync(file, 'utf8'), readFileSync('shared/jobs/job-status.ts', 'utf8')]) {
    const definition = new RegExp(`const ${named}\\b[^=]*=\\s*(?:new Set\\()?\\[([^\\]]*)\\]`).exec(
      source,
    )?.[1];
    if (definition !== undefined) return names(definition);
  }
  return undefined;
}

/** `transition(…, JobStatus.TO, { … from: … })` → one edge list per call, read from the source. */
function edgesInSource(): { file: string; to: string; from: string[] | undefined }[] {
  const calls: { file: string; to: string; from: string[] | undefined }[] = [];
  for (const file of [...sources('shared'), ...sources('functions')]) {
    const text = readFileSync(file, 'utf8');
    for (const match of text.matchAll(/\.transition\(([\s\S]*?)\n\s*\}\);/g)) {
      const call = match[1]!;
      const to = /JobStatus\.([A-Z_]+)\s*,\s*\{/.exec(call)?.[1];
      if (!to) continue; // a computed target (poll-job's mapped remote state): the run-time check covers it
      const expression = /from:\s*((?:\[[^\]]*\])|(?:jobStatuses\.filter)|[A-Z_]+)/.exec(call)?.[1];
      // No `from:` means the table's own predecessors, legal by construction.
      const from = expression ? resolveFrom(expression, file) : allowedPredecessors(to as JobStatus);
      calls.push({ file, to, from });
    }
  }
  return calls;
}

describe('the transition table is the only gate', () => {
  it('finds the status changes of the API and the workflow in the source', () => {
    const targets = new Set(edgesInSource().map((call) => call.to));
    for (const status of [
      'VALIDATING',
      'SUBMITTING',
      'WAITING_FOR_SLOT',
      'WAITING_FOR_SERVICE',
      'QUEUED_REMOTE',
      'COPYING_RESULTS',
    ]) {
      expect(targets).toContain(status);
    }
    for (const status of ['SUCCEEDED', 'FAILED', 'CANCELED', 'CANCEL_REQUESTED', 'EXPIRED']) {
      expect(targets).toContain(status);
    }
  });

  it('reads a `from` list for every call with a fixed target', () => {
    const unresolved = edgesInSource().filter((call) => call.from === undefined || call.from.length === 0);
    expect(unresolved.map((call) => `${call.file} → ${call.to}`)).toEqual([]);
  });

  it('uses only edges that the table has', () => {
    const illegal = edgesInSource().flatMap((call) =>
      (call.from ?? [])
        .filter((from) => !canTransition(from as JobStatus, call.to as JobStatus))
        .map((from) => `${call.file}: ${from} → ${call.to}`),
    );
    expect(illegal).toEqual([]);
  });

  it('refuses a widened `from` list before it writes anything', async () => {
    const dynamo = mockClient(DynamoDBDocumentClient);
    const repository = new JobRepository(DynamoDBDocumentClient.from(new DynamoDBClient({})), 'jobs');
    for (const [from, to] of [
      [JobStatus.SUCCEEDED, JobStatus.FAILED],
      [JobStatus.QUEUED, JobStatus.SUCCEEDED],
      [JobStatus.COPYING_RESULTS, JobStatus.CANCELED],
    ] as const) {
      await expect(repository.transition('owner', 'job', to, { from: [from] })).rejects.toBeInstanceOf(
        IllegalTransitionError,
      );
    }
    expect(dynamo.calls()).toHaveLength(0);
    dynamo.restore();
  });

  it('writes a narrowed `from` list as the condition, and nothing wider', async () => {
    const dynamo = mockClient(DynamoDBDocumentClient);
    dynamo.on(UpdateCommand).resolves({ Attributes: { status: JobStatus.CANCELED } });
    const repository = new JobRepository(DynamoDBDocumentClient.from(new DynamoDBClient({})), 'jobs');
    await repository.transition('owner', 'job', JobStatus.CANCELED, { from: [JobStatus.QUEUED] });
    const input = dynamo.commandCalls(UpdateCommand)[0]!.args[0].input;
    const values = Object.entries(input.ExpressionAttributeValues ?? {})
      .filter(([name]) => name.startsWith(':from'))
      .map(([, value]) => value);
    expect(values).toEqual([JobStatus.QUEUED]);
    dynamo.restore();
  });
});
