import { describe, expect, it } from 'vitest';
import { callerFromEvent, callerToAuthorizerContext, MissingCallerError } from '#shared/auth/caller';
import { apiEvent } from '#test/support/api-event';

const caller = { sub: 's-1', username: 'alice', groups: ['admins', 'group, with comma'] };

describe('the caller in the authorizer context', () => {
  it('is encoded as strings only, as API Gateway requires of context values', () => {
    expect(callerToAuthorizerContext(caller)).toEqual({
      sub: 's-1',
      username: 'alice',
      groups: '["admins","group, with comma"]',
    });
  });

  it('round-trips through a proxy event', () => {
    expect(callerFromEvent(apiEvent({ caller }))).toEqual(caller);
  });

  it('ignores what API Gateway adds to the context (principalId, integrationLatency)', () => {
    const event = apiEvent({ caller: null });
    event.requestContext.authorizer = {
      ...callerToAuthorizerContext(caller),
      principalId: 's-1',
      integrationLatency: 12,
    };
    expect(callerFromEvent(event)).toEqual(caller);
  });

  it('is required: an event without authorizer context throws', () => {
    expect(() => callerFromEvent(apiEvent({ caller: null }))).toThrow(MissingCallerError);
  });

  it('is required whole: a context without sub throws', () => {
    const event = apiEvent({ caller: null });
    event.requestContext.authorizer = { username: 'alice', groups: '[]' };
    expect(() => callerFromEvent(event)).toThrow(MissingCallerError);
  });

  it('refuses groups that are not a JSON list of strings', () => {
    const event = apiEvent({ caller: null });
    event.requestContext.authorizer = { sub: 's-1', username: 'alice', groups: 'admins,researchers' };
    expect(() => callerFromEvent(event)).toThrow(MissingCallerError);
  });
});
