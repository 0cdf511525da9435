/**
 * The researcher's jobs, newest first: filter by state (the API's `status`), search by name (on the
 * loaded page: the API has no text search), pages by cursor (next/previous kept in the URL), and a
 * refresh timed by the jobs' `nextCheckAt` while any is active. Each job reads with its service's name
 * and its panel's label; a parent job (one request run at several places) with its derived status and
 * its children, each with its status and link (children are listed under their parent only).
 */
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { getRouteApi, Link, useNavigate } from '@tanstack/react-router';
import { useId } from 'react';
import { type JobSummary, type ParentJobSummary, unwrap } from '../api/client';
import { EmptyState, ErrorNotice, Loading } from '../components/feedback';
import { PageHeading } from '../components/page-heading';
import { ParentStatusChip } from '../components/parent-job';
import { StatusChip } from '../components/status-chip';
import { useApi } from '../context';
import { formatDateTime } from '../lib/format';
import { JOB_STATUSES, type JobStatusName, statusLabel } from '../lib/job-status';
import { childrenSentence, isParent, refreshableParent } from '../lib/parent-jobs';
import { refreshInterval } from '../lib/refresh-interval';

const PAGE_SIZE = 20;
const route = getRouteApi('/jobs');

export function JobsPage() {
  const api = useApi();
  const search = route.useSearch();
  const navigate = useNavigate({ from: '/jobs' });
  const after = search.after ?? [];
  const cursor = after[after.length - 1];
  const filterId = useId();
  const searchId = useId();
  const jobs = useQuery({
    queryKey: ['jobs', search.status ?? null, cursor ?? null],
    queryFn: () =>
      unwrap(
        api.client.GET('/jobs', {
          params: {
            query: {
              limit: PAGE_SIZE,
              ...(cursor ? { cursor } : {}),
              ...(search.status ? { status: search.status } : {}),
            },
          },
        }),
      ),
    placeholderData: keepPreviousData,
    refetchInterval: (query) => refreshInterval((query.state.data?.jobs ?? []).map(refreshable)),
    refetchIntervalInBackground: false,
  });
  const q = search.q?.toLowerCase() ?? '';
  const shown = (jobs.data?.jobs ?? []).filter((job) => !q || job.name.toLowerCase().includes(q));
  const active = (jobs.data?.jobs ?? []).some((job) => refreshInterval([refreshable(job)]) !== false);
  return (
    <section>
      <div className="page-top">
        <PageHeading>Jobs</PageHeading>
        <Link to="/jobs/new" className="button primary">
          New job
        </Link>
      </div>
      <form className="filters" aria-label="Filter jobs" onSubmit={(event) => event.preventDefault()}>
        <div className="field">
          <label htmlFor={filterId}>Status</label>
          <select
            id={filterId}
            value={search.status ?? ''}
            onChange={(event) =>
              void navigate({
                search: (prev) => ({
                  q: prev.q,
                  status: (event.target.value || undefined) as JobStatusName | undefined,
                }),
              })
            }
          >
            <option value="">All</option>
            {JOB_STATUSES.map((status) => (
              <option key={status} value={status}>
                {statusLabel(status)}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor={searchId}>Search by name</label>
          <input
            id={searchId}
            type="search"
            value={search.q ?? ''}
            onChange={(event) =>
              void navigate({
                search: (prev) => ({ ...prev, q: event.target.value || undefined }),
                replace: true,
              })
            }
          />
        </div>
      </form>
      <p className="muted" aria-live="polite">
        {active ? 'Updating automatically while jobs are running.' : ''}
      </p>
      {jobs.isPending ? <Loading what="your jobs" /> : null}
      {jobs.error ? <ErrorNotice error={jobs.error} onRetry={() => void jobs.refetch()} /> : null}
      {jobs.data && shown.length === 0 ? (
        <EmptyState title={q || search.status ? 'No jobs match.' : 'You have no jobs yet.'}>
          {q || search.status ? (
            <Link to="/jobs" search={{}}>
              Show all jobs
            </Link>
          ) : (
            <p>
              <Link to="/jobs/new">Start your first imputation job</Link>.
            </p>
          )}
        </EmptyState>
      ) : null}
      {shown.length > 0 ? (
        <div className="table-wrap">
          <table className="jobs-table">
            <caption className="visually-hidden">Your jobs, newest first</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Status</th>
                <th scope="col">Service</th>
                <th scope="col">Created</th>
              </tr>
            </thead>
            <tbody>
              {shown.map((job) =>
                isParent(job) ? (
                  <ParentRow key={job.jobId} job={job} />
                ) : (
                  <tr key={job.jobId}>
                    <td data-label="Name">
                      <Link to="/jobs/$jobId" params={{ jobId: job.jobId }}>
                        {job.name}
                      </Link>
                      {job.error ? <span className="row-error">{job.error.message}</span> : null}
                    </td>
                    <td data-label="Status">
                      <StatusChip status={job.status} />
                    </td>
                    <td data-label="Service">
                      {job.serviceName}
                      <span className="cell-detail">{job.labels.refPanel}</span>
                    </td>
                    <td data-label="Created">{formatDateTime(job.createdAt)}</td>
                  </tr>
                ),
              )}
            </tbody>
          </table>
        </div>
      ) : null}
      <nav className="pager" aria-label="Pages">
        <button
          type="button"
          className="button"
          disabled={after.length === 0}
          onClick={() => void navigate({ search: (prev) => ({ ...prev, after: after.slice(0, -1) }) })}
        >
          Previous page
        </button>
        <button
          type="button"
          className="button"
          disabled={!jobs.data?.nextCursor}
          onClick={() =>
            void navigate({ search: (prev) => ({ ...prev, after: [...after, jobs.data!.nextCursor!] }) })
          }
        >
          Next page
        </button>
      </nav>
    </section>
  );
}

const refreshable = (job: JobSummary | ParentJobSummary) => (isParent(job) ? refreshableParent(job) : job);

/** A parent job's row: its derived status and summary, and each child with its chip and link. */
function ParentRow({ job }: { job: ParentJobSummary }) {
  return (
    <tr className="parent-row">
      <td data-label="Name">
        <Link to="/jobs/$jobId" params={{ jobId: job.jobId }}>
          {job.name}
        </Link>
        <span className="cell-detail">{childrenSentence(job.summary)}</span>
      </td>
      <td data-label="Status">
        <ParentStatusChip status={job.status} />
      </td>
      <td data-label="Service">
        <ul className="child-list" aria-label={`Jobs of ${job.name}`}>
          {job.children.map((child) => (
            <li key={child.jobId}>
              <StatusChip status={child.status} />{' '}
              <Link to="/jobs/$jobId" params={{ jobId: child.jobId }}>
                {child.serviceName}
              </Link>
              <span className="cell-detail">{child.labels.refPanel}</span>
            </li>
          ))}
        </ul>
      </td>
      <td data-label="Created">{formatDateTime(job.createdAt)}</td>
    </tr>
  );
}
