/**
 * The caller as the authorizer established it. API Gateway passes authorizer context values as strings
 * only, so groups travel JSON-encoded; handlers read the caller exclusively from here, never from a
 * header, path or body.
 */
import type { APIGatewayProxyEvent } from 'aws-lambda';
import * as z from 'zod/mini';

export interface Caller {
  sub: string;
  username: string;
  groups: string[];
}

const groupListSchema = z.array(z.string());

const contextSchema = z.object({
  sub: z.string().check(z.minLength(1)),
  username: z.string().check(z.minLength(1)),
  groups: z.pipe(
    z.string(),
    z.transform((json: string, payload) => {
      try {
        return groupListSchema.parse(JSON.parse(json));
      } catch {
        payload.issues.push({ code: 'custom', message: 'groups is not a JSON list of strings', input: json });
        return z.NEVER;
      }
    }),
  ),
});

export function callerToAuthorizerContext(caller: Caller): Record<string, string> {
  return { sub: caller.sub, username: caller.username, groups: JSON.stringify(caller.groups) };
}

export class MissingCallerError extends Error {
  override name = 'MissingCallerError';
}

export function callerFromEvent(event: Pick<APIGatewayProxyEvent, 'requestContext'>): Caller {
  const parsed = contextSchema.safeParse(event.requestContext?.authorizer ?? {});
  if (!parsed.success) throw new MissingCallerError('The request carries no authorizer context');
  return parsed.data;
}
