/**
 * The console's API fetch on a 401: one renewal and a repeat; sign-in again only when the session cannot
 * be renewed, and never in a loop (a gateway that refuses the identity provider's tokens would otherwise
 * bounce the browser between the two forever).
 */
import { describe, expect, it, vi } from 'vitest';
import { authedFetch, mayRedirectToSignIn, type TokenSource } from '../../../web/src/api/authed-fetch';

function tokens(renewed: string | undefined) {
  const source = { idToken: async () => 'old', renew: async () => renewed, signInAgain: vi.fn<() => void>() };
  return source satisfies TokenSource;
}
const answering = (...statuses: number[]) => {
  const seen: string[] = [];
  const base = vi.fn(async (request: Request) => {
    seen.push(request.headers.get('Authorization') ?? '');
    return new Response('{}', { status: statuses[seen.length - 1] ?? 200 });
  });
  return { base: base as unknown as typeof fetch, seen };
};
const request = () => new Request('https://api.example.org/jobs');

describe('authedFetch', () => {
  it('repeats a refused request once with the renewed token', async () => {
    const source = tokens('new');
    const { base, seen } = answering(401, 200);
    expect((await authedFetch(source, base)(request())).status).toBe(200);
    expect(seen).toEqual(['Bearer old', 'Bearer new']);
    expect(source.signInAgain).not.toHaveBeenCalled();
  });

  it('sends the user to sign in when the session cannot be renewed', async () => {
    const source = tokens(undefined);
    const { base } = answering(401);
    expect((await authedFetch(source, base)(request())).status).toBe(401);
    expect(source.signInAgain).toHaveBeenCalledOnce();
  });

  it('answers the 401 to the page, without a redirect, when even a renewed token is refused', async () => {
    const source = tokens('new');
    const { base, seen } = answering(401, 401);
    expect((await authedFetch(source, base)(request())).status).toBe(401);
    expect(seen).toHaveLength(2);
    expect(source.signInAgain).not.toHaveBeenCalled();
  });
});

describe('mayRedirectToSignIn', () => {
  it('allows one sign-in redirect a minute per tab', () => {
    const store = new Map<string, string>();
    const storage = {
      getItem: (k: string) => store.get(k) ?? null,
      setItem: (k: string, v: string) => void store.set(k, v),
    };
    expect(mayRedirectToSignIn(storage, 1_000_000)).toBe(true);
    expect(mayRedirectToSignIn(storage, 1_030_000)).toBe(false);
    expect(mayRedirectToSignIn(storage, 1_061_000)).toBe(true);
  });
});
