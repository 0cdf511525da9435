/**
 * Each function of the stack gets the settings its code reads. Every variable of a synthesized Lambda
 * environment is declared in shared/settings.ts, and a literal value parses as the function will parse
 * it; each variable without a default of the settings groups that a route's or task's access brings
 * (infra/constructs/access.ts `accessSettings`) is there; and every group the code reads that has such
 * variables is brought by some kind of access, so no function can be deployed without them.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { accessSettings, settingsGroupsOf } from '#infra/constructs/access';
import { routes } from '#shared/api/routes';
import { WATCHER } from '#shared/health/watcher';
import { type SettingsGroup, type VariableName, variables, variablesOf } from '#shared/settings';
import { workflowTasks } from '#shared/workflow/tasks';
import { synthesize } from './synth';

type Environment = Record<string, unknown>;
let stacks: { name: string; functions: Map<string, Environment> }[];

/** Environments by route or task id (`Api<id>Function…`, `Workflow<id>Function…`); `Authorizer` too. */
function environments(context: Record<string, unknown>): Map<string, Environment> {
  const { template } = synthesize(context);
  const functions = template.findResources('AWS::Lambda::Function') as Record<
    string,
    { Properties: { Environment?: { Variables?: Environment } } }
  >;
  const byId = new Map<string, Environment>();
  for (const [logicalId, resource] of Object.entries(functions)) {
    const id = /^(?:Api|Workflow|Watcher)(\w+?)Function[0-9A-F]{8}$/.exec(logicalId)?.[1];
    if (id) byId.set(id, resource.Properties.Environment?.Variables ?? {});
  }
  return byId;
}

beforeAll(() => {
  stacks = [
    { name: 'cognito', functions: environments({ corsAllowedOrigins: 'https://ui.example.org' }) },
    {
      name: 'oidc',
      functions: environments({
        authMode: 'oidc',
        oidcIssuer: 'https://idp.example.org/realms/research',
        oidcAudience: 'web,cli',
        consoleClientId: 'web',
        stackName: 'GatewayOidc',
      }),
    },
  ];
}, 180_000);

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    return statSync(path).isDirectory() ? sources(path) : path.endsWith('.ts') ? [path] : [];
  });
}

const required = (group: SettingsGroup) =>
  variablesOf(group).filter((name) => !variables[name].schema.safeParse(undefined).success);

describe('the functions’ environments', () => {
  it('hold declared variables only, each literal value one the function accepts', () => {
    for (const { name, functions } of stacks) {
      expect(functions.size, name).toBe(routes.length + workflowTasks.length + 2);
      for (const [id, environment] of functions) {
        for (const [key, value] of Object.entries(environment)) {
          const declared = variables[key as VariableName];
          expect(declared, `${name} ${id}: ${key}`).toBeDefined();
          if (typeof value === 'string') {
            expect(declared.schema.safeParse(value).success, `${name} ${id}: ${key}=${value}`).toBe(true);
          }
        }
      }
    }
  });

  it('give each route and task every variable without a default of the groups its access brings', () => {
    for (const { name, functions } of stacks) {
      for (const { id, access } of [...routes, ...workflowTasks, WATCHER]) {
        const wanted = settingsGroupsOf(access).flatMap(required);
        expect(
          wanted.filter((key) => !(key in functions.get(id)!)),
          `${name} ${id}`,
        ).toEqual([]);
      }
    }
    // The resource groups do have such variables: the check above is not vacuous.
    expect(required('table')).toEqual(['TABLE_NAME']);
  });

  it('give the authorizer the settings of its mode', () => {
    const [cognito, oidc] = stacks.map((stack) => stack.functions.get('Authorizer')!);
    expect(Object.keys(cognito!)).toEqual(
      expect.arrayContaining(['AUTH_MODE', 'COGNITO_USER_POOL_ID', 'COGNITO_CLIENT_ID']),
    );
    expect(oidc).toMatchObject({
      AUTH_MODE: 'oidc',
      OIDC_ISSUER: expect.any(String),
      OIDC_AUDIENCE: 'web,cli',
    });
  });

  it('leave no group the code reads without a kind of access that brings its variables', () => {
    const code = ['shared', 'functions']
      .flatMap(sources)
      .map((file) => readFileSync(file, 'utf8'))
      .join('\n');
    const read = new Set([...code.matchAll(/\bsettings\.(\w+)\(?/g)].map((m) => m[1] as SettingsGroup));
    const brought = new Set<string>([...Object.values(accessSettings).flat(), 'auth']);
    expect([...read].filter((group) => required(group).length > 0 && !brought.has(group))).toEqual([]);
  });
});
