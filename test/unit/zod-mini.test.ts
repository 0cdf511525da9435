/**
 * What `zod/mini` needs to stay small and say the same. Issue messages stay English in a bundle without
 * classic zod: `zod/mini` registers no locale, and the modules that report issues (the API's 400 details,
 * a refused service answer) import shared/zod-english.ts for it; checked on bundles built as deployed, so
 * no classic zod loaded by the test process hides a missing locale. And no module takes zod's namespace
 * as a value (`import { z } from 'zod/mini'`), which bundles all of zod, every locale included.
 */
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { esbuildOptionsAsDeployed, REPOSITORY_ROOT } from '#infra/constructs/bundling';

const out = mkdtempSync(join(tmpdir(), 'zod-english-'));

/** Bundles `source` (TypeScript, resolved from the repository root) and imports it. */
async function bundled(name: string, source: string) {
  const result = await build({
    ...esbuildOptionsAsDeployed(),
    stdin: { contents: source, resolveDir: REPOSITORY_ROOT, loader: 'ts', sourcefile: `${name}.ts` },
    sourcemap: false,
    write: false,
    metafile: true,
    logLevel: 'error',
  });
  const file = join(out, `${name}.mjs`);
  writeFileSync(file, result.outputFiles[0]!.contents);
  // The modules that put code into the bundle (metafile.inputs also lists those tree-shaken away).
  const [output] = Object.values(result.metafile.outputs);
  const inputs = Object.entries(output!.inputs).flatMap(([path, { bytesInOutput }]) =>
    bytesInOutput > 0 ? [path] : [],
  );
  return { module: (await import(pathToFileURL(file).href)) as { run(): unknown }, inputs };
}

const refuse = `
  export function run() {
    const schema = z.object({ name: z.string().check(z.minLength(1)), size: z.int() });
    return z.safeParse(schema, { name: '', size: 'x' }).error?.issues.map((issue) => issue.message);
  }`;

describe('zod issue messages in a bundle without classic zod', () => {
  it('would read "Invalid input" with zod/mini alone (why shared/zod-english.ts exists)', async () => {
    const { module, inputs } = await bundled('alone', `import * as z from 'zod/mini';${refuse}`);
    expect(inputs.some((path) => path.includes('zod/v4/classic'))).toBe(false);
    expect(module.run()).toEqual(['Invalid input', 'Invalid input']);
  });

  it('are English in the API validation 400 details', async () => {
    const { module, inputs } = await bundled(
      'api',
      `import * as z from 'zod/mini';
      import { validateInput } from '#shared/http/validate';
      export function run() {
        const body = z.object({ name: z.string().check(z.minLength(1)), size: z.int() });
        try {
          validateInput({ body }, { body: { name: '', size: 'x' }, pathParameters: null });
        } catch (error) {
          return error.details.map((detail) => detail.message);
        }
      }`,
    );
    expect(inputs.some((path) => path.includes('zod/v4/classic'))).toBe(false);
    expect(module.run()).toEqual([
      'Too small: expected string to have >=1 characters',
      'Invalid input: expected number, received string',
    ]);
  });

  it('are English when a service answer is refused, and the bundle keeps one locale only', async () => {
    const { module, inputs } = await bundled(
      'cloudgene',
      `import * as z from 'zod/mini';
      import { submitResponseSchema } from '#shared/cloudgene/schemas';
      export function run() {
        return z.safeParse(submitResponseSchema, { id: '' }).error?.issues.map((issue) => issue.message);
      }`,
    );
    expect(module.run()).toEqual(['Too small: expected string to have >=1 characters']);
    expect(inputs.filter((path) => path.includes('zod/v4/locales/'))).toEqual([
      expect.stringMatching(/zod\/v4\/locales\/en\.js$/),
    ]);
  });
});

describe('zod/mini imports', () => {
  it('take functions or the module namespace (`import * as z`), never the `z` object', () => {
    const sources = ['shared', 'functions'].flatMap((dir) =>
      readdirSync(join(REPOSITORY_ROOT, dir), { recursive: true, encoding: 'utf8' })
        .filter((file) => file.endsWith('.ts'))
        .map((file) => join(dir, file)),
    );
    expect(sources.length).toBeGreaterThan(50);
    const offenders = sources.filter((file) =>
      /import\s+\{[^}]*\bz\b[^}]*\}\s+from\s+'zod\/mini'/.test(
        readFileSync(join(REPOSITORY_ROOT, file), 'utf8'),
      ),
    );
    expect(offenders).toEqual([]);
  });
});
