/**
 * A structural check of an OpenAPI 3.1 document: the rules of the specification a generator can break
 * (required fields, parameter rules, path templates, operation ids, status keys, security and tag
 * references, resolvable `$ref`s, component names) plus every schema being valid JSON Schema 2020-12
 * that compiles under Ajv's strict mode. Returns the problems found; an empty list means valid.
 */
import { createAjv, withComponentIds } from '#test/e2e/openapi-validator';

type Json = Record<string, unknown>;
const METHODS = new Set(['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace']);
const LOCATIONS = new Set(['query', 'header', 'path', 'cookie']);
const STATUS_KEY = /^([1-5]\d\d|[1-5]XX|default)$/;
const COMPONENT_NAME = /^[a-zA-Z0-9.\-_]+$/;
// The specification says parameters with these names are ignored (use requestBody, content, security).
const IGNORED_HEADERS = new Set(['accept', 'content-type', 'authorization']);

const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

function resolvePointer(document: Json, ref: string): unknown {
  if (!ref.startsWith('#/')) return undefined;
  return ref
    .slice(2)
    .split('/')
    .map((part) => part.replaceAll('~1', '/').replaceAll('~0', '~'))
    .reduce<unknown>((node, key) => (isObject(node) ? node[key] : undefined), document);
}

export function openApiProblems(document: Json): string[] {
  const problems: string[] = [];
  const problem = (where: string, what: string) => problems.push(`${where}: ${what}`);
  const ajv = createAjv();
  const schemas: [string, unknown][] = [];

  if (typeof document.openapi !== 'string' || !/^3\.1\.\d+$/.test(document.openapi)) {
    problem('openapi', 'must be 3.1.x');
  }
  const info = document.info;
  if (!isObject(info) || typeof info.title !== 'string' || typeof info.version !== 'string') {
    problem('info', 'needs title and version');
  }
  for (const [index, server] of ((document.servers as Json[] | undefined) ?? []).entries()) {
    if (typeof server.url !== 'string') problem(`servers[${index}]`, 'needs a url');
    for (const [, name] of String(server.url).matchAll(/\{([^}]+)\}/g)) {
      const variable = (server.variables as Record<string, Json> | undefined)?.[name!];
      if (typeof variable?.default !== 'string')
        problem(`servers[${index}]`, `variable ${name} needs a default`);
    }
  }

  const components = (document.components ?? {}) as Record<string, Record<string, unknown>>;
  for (const [kind, entries] of Object.entries(components)) {
    for (const name of Object.keys(entries)) {
      if (!COMPONENT_NAME.test(name)) problem(`components.${kind}`, `invalid name "${name}"`);
    }
  }
  for (const [name, schema] of Object.entries(components.schemas ?? {}))
    schemas.push([`#/components/schemas/${name}`, schema]);
  const schemes = components.securitySchemes ?? {};
  for (const [name, scheme] of Object.entries(schemes) as [string, Json][]) {
    if (!['apiKey', 'http', 'mutualTLS', 'oauth2', 'openIdConnect'].includes(String(scheme.type))) {
      problem(`securitySchemes.${name}`, 'unknown type');
    }
    if (scheme.type === 'http' && typeof scheme.scheme !== 'string')
      problem(`securitySchemes.${name}`, 'needs a scheme');
  }
  const checkSecurity = (where: string, security: unknown) => {
    for (const requirement of (security as Json[] | undefined) ?? []) {
      for (const name of Object.keys(requirement)) {
        if (!(name in schemes)) problem(where, `security names an undefined scheme "${name}"`);
      }
    }
  };
  checkSecurity('security', document.security);
  const tags = new Set(((document.tags as Json[] | undefined) ?? []).map((tag) => tag.name));

  const operationIds = new Set<string>();
  const shapes = new Set<string>();
  for (const [template, item] of Object.entries((document.paths ?? {}) as Record<string, Json>)) {
    if (!template.startsWith('/')) problem(template, 'a path must start with /');
    const shape = template.replace(/\{[^}]+\}/g, '{}');
    if (shapes.has(shape)) problem(template, 'another path has the same template');
    shapes.add(shape);
    const templated = [...template.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]!);
    for (const [method, operation] of Object.entries(item) as [string, Json][]) {
      const where = `${method.toUpperCase()} ${template}`;
      if (!METHODS.has(method)) {
        problem(where, 'not an operation');
        continue;
      }
      if (typeof operation.operationId === 'string') {
        if (operationIds.has(operation.operationId))
          problem(where, `duplicate operationId ${operation.operationId}`);
        operationIds.add(operation.operationId);
      }
      for (const tag of (operation.tags as string[] | undefined) ?? []) {
        if (!tags.has(tag)) problem(where, `tag "${tag}" is not declared`);
      }
      checkSecurity(where, operation.security);
      const seen = new Set<string>();
      for (const parameter of (operation.parameters as Json[] | undefined) ?? []) {
        const key = `${parameter.in} ${parameter.name}`;
        if (typeof parameter.name !== 'string' || !LOCATIONS.has(String(parameter.in))) {
          problem(where, `parameter ${key} needs a name and a valid "in"`);
        }
        if (seen.has(key)) problem(where, `parameter ${key} is declared twice`);
        seen.add(key);
        if (parameter.in === 'path' && parameter.required !== true)
          problem(where, `path parameter ${key} must be required`);
        if (parameter.in === 'path' && !templated.includes(String(parameter.name))) {
          problem(where, `path parameter ${parameter.name} is not in the path`);
        }
        if (parameter.in === 'header' && IGNORED_HEADERS.has(String(parameter.name).toLowerCase())) {
          problem(where, `header parameter ${parameter.name} is ignored by OpenAPI`);
        }
        if ('schema' in parameter === 'content' in parameter)
          problem(where, `parameter ${key} needs schema or content`);
        if (parameter.schema) schemas.push([`${where} parameter ${key}`, parameter.schema]);
      }
      for (const name of templated) {
        if (!seen.has(`path ${name}`)) problem(where, `path template {${name}} has no parameter`);
      }
      const body = operation.requestBody as Json | undefined;
      if (body) {
        if (!isObject(body.content) || Object.keys(body.content).length === 0)
          problem(where, 'requestBody needs content');
        for (const [type, media] of Object.entries((body.content ?? {}) as Record<string, Json>)) {
          schemas.push([`${where} requestBody ${type}`, media.schema]);
        }
      }
      const responses = operation.responses as Record<string, Json> | undefined;
      if (!isObject(responses) || Object.keys(responses).length === 0) problem(where, 'needs responses');
      for (const [status, response] of Object.entries(responses ?? {})) {
        if (!STATUS_KEY.test(status)) problem(where, `invalid response key ${status}`);
        if (typeof response.description !== 'string') problem(`${where} ${status}`, 'needs a description');
        for (const [name, header] of Object.entries((response.headers ?? {}) as Record<string, Json>)) {
          if ('name' in header || 'in' in header)
            problem(`${where} ${status}`, `header ${name} must not have name/in`);
          schemas.push([`${where} ${status} header ${name}`, header.schema]);
        }
        for (const [type, media] of Object.entries((response.content ?? {}) as Record<string, Json>)) {
          if (!/^[\w.+-]+\/[\w.+-]+$/.test(type)) problem(`${where} ${status}`, `invalid media type ${type}`);
          schemas.push([`${where} ${status} ${type}`, media.schema]);
        }
      }
    }
  }

  const text = JSON.stringify(document);
  for (const [, ref] of text.matchAll(/"\$ref":"([^"]+)"/g)) {
    if (resolvePointer(document, ref!) === undefined) problem('$ref', `${ref} does not resolve`);
  }
  for (const [name, schema] of Object.entries(components.schemas ?? {})) {
    // Not validated here: the loop below reports an invalid component with its name.
    ajv.addSchema(withComponentIds(schema) as Json, `urn:openapi:schemas:${name}`, undefined, false);
  }
  for (const [where, schema] of schemas) {
    if (!isObject(schema) && typeof schema !== 'boolean') {
      problem(where, 'needs a schema');
      continue;
    }
    if (!ajv.validateSchema(schema as Json)) problem(where, `not JSON Schema 2020-12: ${ajv.errorsText()}`);
    try {
      ajv.compile(withComponentIds(schema) as Json);
    } catch (error) {
      problem(where, `does not compile: ${(error as Error).message}`);
    }
  }
  return problems;
}
