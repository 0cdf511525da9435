/**
 * Loading, error and empty states shared by the pages: an API error is put into words (what happened,
 * what to do, the API's detail, or the list of files' problems it names) with a Retry button where a
 * retry can help; never raw JSON.
 */
import { Link, useRouterState } from '@tanstack/react-router';
import type { ReactNode } from 'react';
import { ApiError, inputProblems, limitReached } from '../api/api-error';
import { wordingFor } from '../api/error-wording';
import { formatFileProblem } from '../lib/format';
import { WithCode } from './with-code';

export function Loading({ what }: { what: string }) {
  return (
    <p className="loading" role="status">
      Loading {what}…
    </p>
  );
}

export function ErrorNotice({ error, onRetry }: { error: unknown; onRetry?: () => void }) {
  const apiError = error instanceof ApiError ? error : undefined;
  const wording = apiError?.wording ?? wordingFor('UNEXPECTED_ANSWER');
  // On Services & tokens itself the token form is right there: no link to the page it is on.
  const onServicesPage = useRouterState({ select: (state) => state.location.pathname === '/services' });
  const tokenProblem = apiError?.code.startsWith('SERVICE_TOKEN_') && !onServicesPage;
  // A job's files refused at creation: one line per file and cause, each with its fix.
  const problems = inputProblems(error);
  // A quota or rate limit: which limit, what frees it, and when to try again.
  const limit = limitReached(error);
  return (
    <div className="notice danger" role="alert">
      <p className="notice-title">{wording.title}</p>
      {wording.action ? <p>{wording.action}</p> : null}
      {problems.length > 0 ? (
        <ul className="findings">
          {problems.map((problem) => (
            <li key={`${problem.fileName}\u0000${problem.line}\u0000${problem.message}`}>
              {problem.fileName ? <span className="file-name">{problem.fileName}: </span> : null}
              <WithCode text={formatFileProblem(problem)} />
            </li>
          ))}
        </ul>
      ) : limit ? (
        <p className="detail">{limit}</p>
      ) : apiError?.detail && apiError.detail !== wording.title ? (
        <p className="detail">{apiError.detail}</p>
      ) : null}
      {apiError?.requestId ? <p className="detail">Reference: {apiError.requestId}</p> : null}
      <div className="actions">
        {tokenProblem ? <Link to="/services">Go to Services &amp; tokens</Link> : null}
        {onRetry && wording.retryable ? (
          <button type="button" className="button" onClick={onRetry}>
            Try again
          </button>
        ) : null}
      </div>
    </div>
  );
}

export function EmptyState({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <div className="empty-state">
      <p className="notice-title">{title}</p>
      {children}
    </div>
  );
}
