/**
 * Each function may issue exactly the DynamoDB actions its code issues, on this table only: what a
 * route, task or the watcher declares (`access.table`) is what its role allows, and what it declares is
 * what its code can reach, read by following its handler's calls (table-operations.ts). No function may
 * scan, batch-write, transact, describe the table or read its stream; only Query reaches the indexes.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { routes } from '#shared/api/routes';
import { WATCHER } from '#shared/health/watcher';
import { workflowTasks } from '#shared/workflow/tasks';
import { synthesize } from './synth';
import { REPOSITORY, tableOperationAnalyzer } from './table-operations';

interface Statement {
  Action: string | string[];
  Resource: unknown;
}
const functions = [...routes, ...workflowTasks, WATCHER];
/** Actions no function's code issues: granting them would only widen what a compromised function can do. */
const NEVER = [
  'dynamodb:Scan',
  'dynamodb:BatchWriteItem',
  'dynamodb:ConditionCheckItem',
  'dynamodb:DescribeTable',
  'dynamodb:GetRecords',
  'dynamodb:GetShardIterator',
  'dynamodb:DescribeStream',
  'dynamodb:TransactWriteItems',
  'dynamodb:PartiQLSelect',
];
/**
 * Calls through an interface member no implementation of which the analysis found in the repository:
 * the SDK clients' own `destroy` (perRuntime's disposal) and a copy source's `discard`.
 */
const UNRESOLVED_OUTSIDE_THE_TABLE = ['destroy', 'discard'];

let dynamoStatements: Record<string, Statement[]>;
let analysed: Map<string, { actions: string[]; unresolved: string[] }>;

beforeAll(() => {
  const { template } = synthesize();
  dynamoStatements = {};
  const policies = Object.values(template.findResources('AWS::IAM::Policy')) as {
    Properties: { PolicyDocument: { Statement: Statement[] }; Roles: { Ref: string }[] };
  }[];
  for (const policy of policies) {
    for (const role of policy.Properties.Roles) {
      const id = /^(?:Api|Workflow|Watcher)(\w+?)Role[0-9A-F]{8}$/.exec(role.Ref)?.[1];
      if (!id) continue;
      const statements = policy.Properties.PolicyDocument.Statement.filter((st) =>
        [st.Action].flat().some((action) => action.startsWith('dynamodb:')),
      );
      if (statements.length > 0) dynamoStatements[id] = [...(dynamoStatements[id] ?? []), ...statements];
    }
  }
  const analyzer = tableOperationAnalyzer(REPOSITORY);
  analysed = new Map(functions.map((fn) => [fn.id, analyzer.analyse(fn.entry)]));
}, 180_000);

const grantedActions = (id: string) =>
  [...new Set((dynamoStatements[id] ?? []).flatMap((st) => [st.Action].flat()))].sort();
const declaredActions = (fn: (typeof functions)[number]) =>
  [...(fn.access.table ?? [])].map((action) => `dynamodb:${action}`).sort();

describe('DynamoDB grants', () => {
  it('allow each function exactly the actions it declares', () => {
    for (const fn of functions) expect(grantedActions(fn.id), fn.id).toEqual(declaredActions(fn));
    // Every function of the stack was looked at (the authorizer has no table access).
    expect(Object.keys(dynamoStatements).sort()).toEqual(functions.map((fn) => fn.id).sort());
  });

  it('declare exactly the actions each function’s code issues', () => {
    for (const fn of functions) {
      const { actions, unresolved } = analysed.get(fn.id)!;
      expect(declaredActions(fn), fn.id).toEqual(actions);
      expect(
        unresolved.filter((name) => !UNRESOLVED_OUTSIDE_THE_TABLE.includes(name)),
        fn.id,
      ).toEqual([]);
    }
  });

  it('allow no function to scan, batch-write, transact, describe the table or read its stream', () => {
    for (const fn of functions) {
      for (const action of grantedActions(fn.id)) {
        expect(NEVER, `${fn.id}: ${action}`).not.toContain(action);
        expect(action, fn.id).not.toContain('*');
      }
    }
    // Which functions may Scan: none. Which may delete items: the two delete routes, and the watcher,
    // which removes a deleted job's leftover events item once it has sent them (publish-events.ts).
    const allowed = (action: string) =>
      functions.filter((fn) => grantedActions(fn.id).includes(action)).map((fn) => fn.id);
    expect(allowed('dynamodb:Scan')).toEqual([]);
    expect(allowed('dynamodb:DeleteItem').sort()).toEqual(['deleteCredential', 'deleteJob', 'watchServices']);
    // The watcher (outbox); the routes that take a quota unit, whose refusal reads the counted jobs or
    // uploads back to release those that ended (shared/quotas/user-quotas.ts).
    expect(allowed('dynamodb:BatchGetItem').sort()).toEqual(
      [WATCHER.id, 'createJob', 'createUpload', 'resubmitJob'].sort(),
    );
    // Read-only routes write nothing; a route that calls a service with the caller's token may mark that
    // token rejected (UpdateItem), which a read-only grant used to refuse.
    for (const id of ['listServices', 'getService', 'listCredentials', 'listUploads', 'listJobs', 'getJob']) {
      expect(
        grantedActions(id).filter((a) => /Put|Update|Delete/.test(a)),
        id,
      ).toEqual([]);
    }
    expect(grantedActions('getServiceOptions')).toContain('dynamodb:UpdateItem');
  });

  it('reach the indexes with Query only, and this table only', () => {
    for (const fn of functions) {
      for (const statement of dynamoStatements[fn.id] ?? []) {
        const resources = JSON.stringify(statement.Resource);
        expect(resources, fn.id).toMatch(/StorageTable/);
        expect(resources.includes('/index/*'), `${fn.id} ${JSON.stringify(statement.Action)}`).toBe(
          [statement.Action].flat().every((action) => action === 'dynamodb:Query'),
        );
      }
    }
  });
});
