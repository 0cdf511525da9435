/**
 * One job: its state (announced when it changes), the queue position and the service's step messages as
 * the service typed them, our own timeline, on failure what went wrong and what to do, and once finished
 * its results (download, a checked bash script, the zip password). Refreshes itself by `nextCheckAt`
 * while the job moves; another user's job (404) reads as "not found".
 */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Link, useNavigate } from '@tanstack/react-router';
import { useState } from 'react';
import { ApiError } from '../api/api-error';
import { type Job, unwrap } from '../api/client';
import { jobFailureAdvice } from '../api/error-wording';
import { ConfirmDialog } from '../components/confirm-dialog';
import { ErrorNotice, Loading } from '../components/feedback';
import { JobResultsPanel } from '../components/job-results';
import { PageHeading } from '../components/page-heading';
import { StatusChip } from '../components/status-chip';
import { useApi } from '../context';
import { formatBytes, formatDateTime } from '../lib/format';
import {
  canCancel,
  isFinished,
  messageKind,
  messageKindLabel,
  messageText,
  statusLabel,
} from '../lib/job-status';
import { refreshInterval } from '../lib/refresh-interval';
import { jobRoute } from '../router';

export function JobPage() {
  const { jobId } = jobRoute.useParams();
  const api = useApi();
  const job = useQuery({
    queryKey: ['job', jobId],
    queryFn: () => unwrap(api.client.GET('/jobs/{jobId}', { params: { path: { jobId } } })),
    refetchInterval: (query) => (query.state.data ? refreshInterval([query.state.data]) : false),
    refetchIntervalInBackground: false,
  });
  if (job.isPending) return <Loading what="the job" />;
  if (job.error) {
    if (job.error instanceof ApiError && job.error.notFound) {
      return (
        <section>
          <PageHeading>Job not found</PageHeading>
          <p>There is no job of yours at this address. It may have been deleted.</p>
          <p>
            <Link to="/jobs">Go to your jobs</Link>
          </p>
        </section>
      );
    }
    return (
      <section>
        <PageHeading>Job</PageHeading>
        <ErrorNotice error={job.error} onRetry={() => void job.refetch()} />
      </section>
    );
  }
  return <JobDetails job={job.data} />;
}

function JobDetails({ job }: { job: Job }) {
  const finished = isFinished(job.status);
  const position = job.progress?.positionInQueue;
  return (
    <section>
      <div className="page-top">
        <PageHeading title={job.name}>{job.name}</PageHeading>
        <JobActions job={job} />
      </div>
      <div className="status-line" role="status" aria-live="polite">
        <StatusChip status={job.status} />
        <span>
          {job.status === 'QUEUED_REMOTE' && position != null && position >= 0
            ? `Position ${position + 1} in the service's queue`
            : !finished
              ? 'In progress'
              : `Finished ${formatDateTime(job.statusChangedAt)}`}
        </span>
        {!finished ? <progress aria-label="Job in progress" /> : null}
      </div>
      {job.error ? (
        <div className="notice danger" role="alert">
          <p className="notice-title">
            This job failed: {job.error.message} <span className="code">({job.error.code})</span>
          </p>
          <p>{jobFailureAdvice(job.error.code)}</p>
        </div>
      ) : null}
      {job.warnings.map((warning) => (
        <p key={warning.code + warning.message} className="notice warning">
          {warning.message}
        </p>
      ))}
      <dl className="facts job-facts">
        <dt>Service</dt>
        <dd>{job.serviceId}</dd>
        <dt>Reference panel</dt>
        <dd>{job.refPanel}</dd>
        <dt>Population</dt>
        <dd>{job.population}</dd>
        <dt>Build</dt>
        <dd>{job.build}</dd>
        <dt>Phasing</dt>
        <dd>{job.phasing}</dd>
        <dt>Mode</dt>
        <dd>{job.mode}</dd>
        <dt>r² filter</dt>
        <dd>{job.r2Filter}</dd>
        <dt>Inputs</dt>
        <dd>{job.inputs.map((input) => `${input.fileName} (${formatBytes(input.size)})`).join(', ')}</dd>
        <dt>Service job id</dt>
        <dd>{job.externalJobId ?? '–'}</dd>
      </dl>
      {finished ? <JobResultsPanel job={job} /> : null}
      <h2>Messages from the service</h2>
      {job.messages.length === 0 ? (
        <p className="muted">No messages yet.</p>
      ) : (
        <ol className="messages">
          {job.messages.map((message) => {
            const kind = messageKind(message.type);
            return (
              <li
                key={`${message.step}\u0000${message.type}\u0000${message.message}`}
                className={`message kind-${kind}`}
              >
                <span className={`chip message-${kind}`}>{messageKindLabel[kind]}</span>
                <span className="step">{message.step}</span>
                <span className="message-text">{messageText(message.message)}</span>
              </li>
            );
          })}
        </ol>
      )}
      <h2>Timeline</h2>
      <ol className="timeline">
        {job.events.map((event) => (
          <li key={`${event.at}-${event.to}`}>
            <time dateTime={event.at}>{formatDateTime(event.at)}</time>
            <span>{statusLabel(event.to)}</span>
            {event.detail ? <span className="muted"> — {event.detail}</span> : null}
          </li>
        ))}
      </ol>
    </section>
  );
}

function JobActions({ job }: { job: Job }) {
  const api = useApi();
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const [dialog, setDialog] = useState<'cancel' | 'delete' | null>(null);
  const path = { params: { path: { jobId: job.jobId } } };
  const cancel = useMutation({
    mutationFn: () => unwrap(api.client.POST('/jobs/{jobId}/cancel', path)),
    onSuccess: (updated) => {
      queryClient.setQueryData(['job', job.jobId], updated);
      void queryClient.invalidateQueries({ queryKey: ['jobs'] });
      setDialog(null);
    },
  });
  const remove = useMutation({
    mutationFn: () => unwrap(api.client.DELETE('/jobs/{jobId}', path)),
    onSuccess: async () => {
      setDialog(null);
      queryClient.removeQueries({ queryKey: ['job', job.jobId] });
      await queryClient.invalidateQueries({ queryKey: ['jobs'] });
      await navigate({ to: '/jobs' });
    },
  });
  return (
    <div className="actions">
      {canCancel(job.status) ? (
        <button type="button" className="button danger-outline" onClick={() => setDialog('cancel')}>
          Cancel job
        </button>
      ) : null}
      {isFinished(job.status) ? (
        <button type="button" className="button danger-outline" onClick={() => setDialog('delete')}>
          Delete job
        </button>
      ) : null}
      <ConfirmDialog
        open={dialog === 'cancel'}
        title="Cancel this job?"
        confirmLabel="Cancel job"
        danger
        busy={cancel.isPending}
        onConfirm={() => cancel.mutate()}
        onClose={() => setDialog(null)}
      >
        <p>The job stops, at the service too. It cannot be resumed; you would start a new one.</p>
        {cancel.error ? <ErrorNotice error={cancel.error} /> : null}
      </ConfirmDialog>
      <ConfirmDialog
        open={dialog === 'delete'}
        title="Delete this job?"
        confirmLabel="Delete job"
        danger
        busy={remove.isPending}
        onConfirm={() => remove.mutate()}
        onClose={() => setDialog(null)}
      >
        <p>The job and its result files are deleted for good. Download what you need first.</p>
        {remove.error ? <ErrorNotice error={remove.error} /> : null}
      </ConfirmDialog>
    </div>
  );
}
