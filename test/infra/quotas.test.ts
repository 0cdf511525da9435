/**
 * What keeps one user from taking the API down for everyone, in the synthesized template: the per-user
 * quotas written into the functions that take units, the workflow's reserved concurrency (the API keeps
 * the rest of the account's), the longer retry of a throttled task, and the per-caller WAF rate limit
 * on the stage, answering 429 in the API's error shape.
 */
import { readFileSync } from 'node:fs';
import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { routes } from '#shared/api/routes';
import { workflowTasks } from '#shared/workflow/tasks';
import { synthesize } from './synth';

type Resource = { Properties: Record<string, unknown> };
const functionsOf = (template: ReturnType<typeof synthesize>['template']) =>
  template.findResources('AWS::Lambda::Function') as Record<string, Resource>;

describe('per-user limits in the stack', () => {
  const { template } = synthesize({
    maxActiveJobsPerUser: 7,
    workflowConcurrency: 12,
    callerRateLimit: 120,
    corsAllowedOrigins: 'https://ui.example.org',
  });
  const functions = functionsOf(template);

  it('gives every workflow function its reserved concurrency, and the API functions none', () => {
    const byId = (prefix: string, id: string) =>
      Object.entries(functions).find(([logicalId]) =>
        new RegExp(`^${prefix}${id}Function[0-9A-F]{8}$`).test(logicalId),
      )?.[1];
    for (const task of workflowTasks) {
      expect(byId('Workflow', task.id)?.Properties.ReservedConcurrentExecutions, task.id).toBe(12);
    }
    for (const route of routes) {
      expect(byId('Api', route.id)?.Properties.ReservedConcurrentExecutions, route.id).toBeUndefined();
    }
  });

  it('writes the quotas into the API functions, and the validation caps into the workflow’s', () => {
    const environment = (id: string) => {
      const found = Object.entries(functions).find(([logicalId]) => logicalId.startsWith(id));
      const env = found?.[1].Properties.Environment as { Variables?: Record<string, unknown> } | undefined;
      return env?.Variables;
    };
    expect(environment('ApicreateJobFunction')).toMatchObject({
      MAX_ACTIVE_JOBS_PER_USER: '7',
      MAX_PENDING_UPLOADS_PER_USER: '50',
      MAX_STORED_BYTES_PER_USER: String(2 * 1024 ** 4),
    });
    expect(environment('WorkflowvalidateInputFunction')).toMatchObject({
      VALIDATION_MAX_INVOCATIONS: '24',
      VALIDATION_MAX_DECOMPRESSED_BYTES: String(8 * 1024 ** 4),
    });
  });

  it('limits each caller by bearer token (and each address) with a WAF rate rule on the stage, answering 429 in the API’s shape', () => {
    template.resourceCountIs('AWS::WAFv2::WebACL', 1);
    template.hasResourceProperties('AWS::WAFv2::WebACL', {
      Scope: 'REGIONAL',
      DefaultAction: { Allow: {} },
      Rules: [
        Match.objectLike({
          Name: 'PerCaller',
          Statement: {
            RateBasedStatement: {
              Limit: 120,
              EvaluationWindowSec: 60,
              AggregateKeyType: 'CUSTOM_KEYS',
              CustomKeys: [{ Header: { Name: 'authorization', TextTransformations: [Match.anyValue()] } }],
            },
          },
          Action: {
            Block: {
              CustomResponse: Match.objectLike({
                ResponseCode: 429,
                ResponseHeaders: Match.arrayWith([
                  { Name: 'Retry-After', Value: '60' },
                  { Name: 'Access-Control-Allow-Origin', Value: Match.anyValue() },
                ]),
              }),
            },
          },
        }),
        Match.objectLike({
          Name: 'PerAddress',
          Statement: { RateBasedStatement: { Limit: 1200, AggregateKeyType: 'IP', EvaluationWindowSec: 60 } },
        }),
      ],
    });
    const acl = Object.values(template.findResources('AWS::WAFv2::WebACL'))[0] as Resource;
    const bodies = acl.Properties.CustomResponseBodies as Record<string, { Content: string }>;
    expect(JSON.parse(Object.values(bodies)[0]!.Content)).toEqual({
      error: {
        code: 'THROTTLED',
        message:
          'Too many requests from you: at most 120 a minute per caller; retry after the Retry-After seconds',
      },
    });
    const [association] = Object.values(
      template.findResources('AWS::WAFv2::WebACLAssociation'),
    ) as (Resource & {
      DependsOn?: string[];
    })[];
    const arn = JSON.stringify(association!.Properties.ResourceArn);
    expect(arn).toContain('/restapis/');
    expect(arn).toMatch(/"\/stages\/",\{"Ref":"ApiRestApiDeploymentStagev1[0-9A-F]{8}"\}/);
  });
});

describe('without the per-caller limit and reserved concurrency', () => {
  it('deploys no web ACL and leaves the workflow unreserved', () => {
    const { template } = synthesize({ callerRateLimit: 0, workflowConcurrency: 0 });
    template.resourceCountIs('AWS::WAFv2::WebACL', 0);
    template.resourceCountIs('AWS::WAFv2::WebACLAssociation', 0);
    for (const [id, fn] of Object.entries(functionsOf(template))) {
      if (id.startsWith('Workflow')) expect(fn.Properties.ReservedConcurrentExecutions, id).toBeUndefined();
    }
  });
});

describe('a throttled workflow task', () => {
  it('is retried for up to about two hours, apart from the other retries', () => {
    const asl = JSON.parse(readFileSync('statemachines/imputation-job.asl.json', 'utf8'));
    const tasks: [
      string,
      {
        Resource?: string;
        Retry?: { ErrorEquals: string[]; MaxAttempts: number; MaxDelaySeconds?: number }[];
      },
    ][] = [];
    const walk = (states: Record<string, { Type: string; ItemProcessor?: { States: never } }>) => {
      for (const [name, state] of Object.entries(states)) {
        if (state.ItemProcessor) walk(state.ItemProcessor.States);
        if (state.Type === 'Task') tasks.push([name, state as never]);
      }
    };
    walk(asl.States);
    for (const [name, state] of tasks.filter(([, s]) => s.Resource?.includes('FunctionArn'))) {
      const throttled = state.Retry?.find((rule) =>
        rule.ErrorEquals.includes('Lambda.TooManyRequestsException'),
      );
      if (state.Retry?.some((rule) => rule.ErrorEquals.includes('States.ALL'))) continue;
      expect(throttled, name).toMatchObject({
        ErrorEquals: ['Lambda.TooManyRequestsException'],
        MaxAttempts: 30,
        MaxDelaySeconds: 300,
      });
    }
  });
});
