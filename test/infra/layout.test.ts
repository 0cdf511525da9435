/** Product code (what is deployed or what `npm start` runs) never depends on test code. */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sources(path) : path.endsWith('.ts') ? [path] : [];
  });
}

describe('the layout', () => {
  it('keeps infra/, shared/ and functions/ free of imports from test/', () => {
    const offenders = ['infra', 'shared', 'functions']
      .flatMap(sources)
      .filter((file) => /from '(#test\/|(\.\.\/)+test\/)/.test(readFileSync(file, 'utf8')));
    expect(offenders).toEqual([]);
  });
});
