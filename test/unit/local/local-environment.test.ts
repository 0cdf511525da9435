/**
 * The local stack's side of the settings contract: the one environment it writes serves every function
 * (each settings group parses from it), and at start it resumes exactly the jobs that had not finished.
 */
import type { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_RESOURCES, localCatalog, localFunctionSettings } from '#infra/local/local-environment';
import { readLocalSettings } from '#infra/local/local-settings';
import { resumeUnfinishedJobs } from '#infra/local/resume-jobs';
import { createTokenIssuer } from '#infra/local/token-issuer';
import { dynamoDocumentClient } from '#shared/aws/clients';
import { type JobRecord, jobRepository } from '#shared/jobs/job-repository';
import { JobStatus } from '#shared/jobs/job-status';
import { environmentFor, parseSettings, type SettingsGroup, settings } from '#shared/settings';
import { uploadStore } from '#shared/uploads/upload-store';
import { startAwsEmulators } from '#test/support/aws-emulators';
import { jobRecord } from '#test/support/job-fixtures';

describe('the environment of the local stack', () => {
  const settingsOfStack = readLocalSettings({ WORKFLOW_TIME_SCALE: '60' });
  const issuer = createTokenIssuer({
    issuer: 'https://local-idp.example',
    audience: 'imputation-gateway-local',
  });
  const env = environmentFor(
    localFunctionSettings({
      settings: settingsOfStack,
      endpoints: {
        dynamodb: 'http://127.0.0.1:1001',
        s3: 'http://127.0.0.1:1002',
        secretsManager: 'http://127.0.0.1:1003',
        stepFunctions: 'http://127.0.0.1:1004',
        eventBridge: 'http://127.0.0.1:1009',
      },
      stateMachineArn: 'arn:aws:states:us-east-1:000000000000:stateMachine:imputation-job',
      issuer,
      catalog: localCatalog(settingsOfStack, {
        michigan: 'http://127.0.0.1:1005',
        topmed: 'http://127.0.0.1:1007',
        h3africa: 'http://127.0.0.1:1008',
      }),
      consoleOrigin: 'http://127.0.0.1:1006',
    }),
  );

  it('holds every setting of every group, since one process serves all functions', () => {
    for (const group of Object.keys(settings) as SettingsGroup[]) {
      expect(() => parseSettings(group, env), group).not.toThrow();
    }
    expect(parseSettings('auth', env)).toMatchObject({ AUTH_MODE: 'oidc', OIDC_JWKS_JSON: issuer.jwks });
    expect(parseSettings('backoff', env).WORKFLOW_TIME_SCALE).toBe(60);
    // As deployed: the console's origin, not '*'.
    expect(parseSettings('cors', env).CORS_ALLOWED_ORIGINS).toEqual(['http://127.0.0.1:1006']);
    expect(parseSettings('table', env).TABLE_NAME).toBe(LOCAL_RESOURCES.table);
    expect(env).toMatchObject({
      AWS_ENDPOINT_URL_SFN: 'http://127.0.0.1:1004',
      AWS_S3_FORCE_PATH_STYLE: 'true',
    });
  });

  it('points each catalog service at its own simulator', () => {
    const catalog = parseSettings('catalog', env).SERVICE_CATALOG as { id: string; baseUrl: string }[];
    expect(catalog.map((service) => [service.id, service.baseUrl])).toEqual([
      ['michigan', 'http://127.0.0.1:1005'],
      ['topmed', 'http://127.0.0.1:1007'],
      ['h3africa', 'http://127.0.0.1:1008'],
    ]);
  });
});

describe('resuming unfinished jobs at start', () => {
  let aws: Awaited<ReturnType<typeof startAwsEmulators>>;
  beforeAll(async () => {
    aws = await startAwsEmulators();
  });
  afterAll(() => aws?.close());

  const job = (jobId: string, status: JobStatus, externalJobId?: string): JobRecord =>
    jobRecord({ jobId, owner: 'rita', name: jobId, inputs: [], status, externalJobId });

  it('starts what drives each unfinished job (validation, a submission, a collect), gives a watched job without a watch one, and checks unfinished uploads again', async () => {
    for (const record of [
      job('01RESUME0000000000000000A1', JobStatus.QUEUED),
      job('01RESUME0000000000000000A2', JobStatus.RUNNING, 'job-remote-2'),
      job('01RESUME0000000000000000A3', JobStatus.SUCCEEDED, 'job-remote-3'),
      job('01RESUME0000000000000000A4', JobStatus.CANCELED),
      job('01RESUME0000000000000000A5', JobStatus.SUBMITTING),
      {
        ...job('01RESUME0000000000000000A6', JobStatus.COPYING_RESULTS, 'job-remote-6'),
        remoteFiles: [{ name: 'chr_20.zip', hash: 'h', size: '1 KB' }],
      },
    ]) {
      await jobRepository().create(record);
    }
    // An upload whose check had not finished, and one checked already.
    const upload = (uploadId: string) => ({
      uploadId,
      owner: 'rita',
      fileName: 'a.chr20.vcf.gz',
      size: 10,
      bucket: 'inputs',
      key: `inputs/rita/${uploadId}/a.chr20.vcf.gz`,
      status: 'PENDING' as const,
      createdAt: new Date().toISOString(),
      uploadUrlExpiresAt: new Date().toISOString(),
      expiresAt: 2_000_000_000,
    });
    for (const uploadId of ['01RESUMEUP0AD0000000000CK1', '01RESUMEUP0AD0000000000CK2']) {
      await uploadStore().create(upload(uploadId));
      await uploadStore().markReady('rita', uploadId, new Date());
    }
    await uploadStore().recordCheck('rita', '01RESUMEUP0AD0000000000CK2', {
      status: 'UNCHECKED',
      startedAt: new Date().toISOString(),
      checkedAt: new Date().toISOString(),
      reason: 'test',
    });
    const started: StartExecutionCommand['input'][] = [];
    const sfn = {
      send: async (command: StartExecutionCommand) => {
        started.push(command.input);
        return {};
      },
    } as unknown as SFNClient;
    const stateMachineArn = 'arn:aws:states:us-east-1:000000000000:stateMachine:imputation-job';
    const resumed = await resumeUnfinishedJobs({
      documents: dynamoDocumentClient(),
      tableName: aws.tableName,
      executions: { sfn, stateMachineArn },
      now: () => 7,
    });
    expect(resumed.sort()).toEqual([
      '01RESUME0000000000000000A1',
      '01RESUME0000000000000000A2',
      '01RESUME0000000000000000A5',
      '01RESUME0000000000000000A6',
    ]);
    expect(started.map((input) => [input.name, JSON.parse(input.input!)]).sort()).toEqual([
      [
        '01RESUME0000000000000000A1-validate-1',
        { jobId: '01RESUME0000000000000000A1', owner: 'rita', files: [] },
      ],
      [
        '01RESUME0000000000000000A5-submit-1',
        { jobId: '01RESUME0000000000000000A5', owner: 'rita', submit: true },
      ],
      [
        '01RESUME0000000000000000A6-collect-1',
        {
          jobId: '01RESUME0000000000000000A6',
          owner: 'rita',
          collect: { files: [{ name: 'chr_20.zip', index: 0 }] },
        },
      ],
      // The upload still CHECKING gets its check again; the one settled (UNCHECKED) does not.
      ['upload-01RESUMEUP0AD0000000000CK1', { owner: 'rita', uploadId: '01RESUMEUP0AD0000000000CK1' }],
    ]);
    expect(started.every((input) => input.stateMachineArn === stateMachineArn)).toBe(true);
    // Each re-drive is the watcher's own: the execution and the watch recorded, the timeline says so.
    for (const [jobId, kind] of [
      ['01RESUME0000000000000000A1', 'validate'],
      ['01RESUME0000000000000000A5', 'submit'],
      ['01RESUME0000000000000000A6', 'collect'],
    ] as const) {
      const resumedJob = await jobRepository().get('rita', jobId);
      expect(resumedJob?.executionArn).toBe(
        `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${jobId}-${kind}-1`,
      );
      expect(resumedJob?.watch?.kind).toBe(kind.toUpperCase());
      expect(resumedJob?.events.at(-1)?.detail).toMatch(
        /^resumed: its (validation|submission|collect) execution had ended \(missing\)/,
      );
    }
    // The running job is the watcher's: no execution, a poll due at once.
    const running = await jobRepository().get('rita', '01RESUME0000000000000000A2');
    expect(running?.watch).toMatchObject({ kind: 'POLL', nextAt: new Date(7).toISOString() });
    const due = await jobRepository().watched('michigan', 'POLL', { now: new Date(8), limit: 10 });
    expect(due.jobs).toEqual([{ owner: 'rita', jobId: '01RESUME0000000000000000A2' }]);
  });
});
