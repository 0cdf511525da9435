import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { API_TYPES_FILE, generateApiTypes } from '../../../scripts/api-types';

describe('the console’s generated API types', () => {
  it('match the OpenAPI document of the current route table (else: run npm run api:types)', async () => {
    const committed = readFileSync(API_TYPES_FILE, 'utf8');
    const fresh = await generateApiTypes();
    expect(committed === fresh, 'web/src/api/schema.d.ts is out of date: run npm run api:types').toBe(true);
  }, 60_000);
});
