/**
 * One job: where it stands in the service's name (what a waiting job waits for, a queued job's position),
 * on failure what went wrong and what to do before the findings and messages it refers to, its settings
 * in the names the researcher chose (ids for support behind a disclosure), once finished its results
 * (download, a checked bash script, the zip password), the service's messages and our timeline.
 * Refreshes itself by `nextCheckAt` while the job moves; another user's job, a deleted one or a mistyped
 * address reads "Job not found". A parent job (one request run at several places) shows its children.
 */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { getRouteApi, Link, useNavigate } from '@tanstack/react-router';
import { useState } from 'react';
import { isMissing } from '../api/api-error';
import { type Job, unwrap } from '../api/client';
import { jobQuery } from '../api/job-queries';
import { ConfirmDialog } from '../components/confirm-dialog';
import { ErrorNotice, Loading } from '../components/feedback';
import { JobFacts } from '../components/job-facts';
import { JobFailureNotice, StartAgainLink } from '../components/job-failure-notice';
import { JobInputChecks } from '../components/job-input-checks';
import { JobMessages, JobTimeline } from '../components/job-messages';
import { JobResultsPanel } from '../components/job-results';
import { LinkedJob } from '../components/linked-job';
import { PageHeading } from '../components/page-heading';
import { ParentJobDetails, ParentLink } from '../components/parent-job';
import { ResubmitDialog } from '../components/resubmit-dialog';
import { ServiceOutageNotice } from '../components/service-outage-notice';
import { StatusChip } from '../components/status-chip';
import { useApi } from '../context';
import { progressSentence } from '../lib/job-progress';
import { canCancel, isFinished } from '../lib/job-status';
import { isParent, refreshableParent } from '../lib/parent-jobs';
import { refreshInterval } from '../lib/refresh-interval';
import { offersResubmit } from '../lib/resubmit';

const route = getRouteApi('/jobs/$jobId');

export function JobPage() {
  const { jobId } = route.useParams();
  const api = useApi();
  const job = useQuery({
    ...jobQuery(api, jobId),
    refetchInterval: (query) => {
      const data = query.state.data;
      if (!data) return false;
      return refreshInterval([isParent(data) ? refreshableParent(data) : data]);
    },
    refetchIntervalInBackground: false,
  });
  if (job.isPending) return <Loading what="the job" />;
  if (job.error) {
    if (isMissing(job.error)) {
      return (
        <section>
          <PageHeading>Job not found</PageHeading>
          <p>There is no job of yours at this address. Check the link; the job may also have been deleted.</p>
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
  return isParent(job.data) ? <ParentJobDetails job={job.data} /> : <JobDetails job={job.data} />;
}

function JobDetails({ job }: { job: Job }) {
  const finished = isFinished(job.status);
  return (
    <section>
      <div className="page-top">
        <PageHeading title={job.name}>{job.name}</PageHeading>
        <JobActions job={job} />
      </div>
      <div className="status-line" role="status" aria-live="polite">
        <StatusChip status={job.status} />
        <span>{progressSentence(job)}</span>
        {!finished ? <progress aria-label="Job in progress" /> : null}
      </div>
      <ServiceOutageNotice job={job} />
      {job.parentId ? <ParentLink parentId={job.parentId} /> : null}
      <ResubmittedAs job={job} />
      <JobInputChecks job={job} />
      {job.error ? <JobFailureNotice job={job} error={job.error} /> : null}
      {job.warnings.map((warning) => (
        <p key={warning.code + warning.message} className="notice warning">
          {warning.message}
        </p>
      ))}
      {/* A failed job's findings and messages follow the explanation that refers to them. */}
      {job.error ? <JobMessages job={job} /> : null}
      <h2>Settings</h2>
      <JobFacts job={job} />
      {finished ? <JobResultsPanel job={job} /> : null}
      {job.error ? null : <JobMessages job={job} />}
      <JobTimeline job={job} />
    </section>
  );
}

function JobActions({ job }: { job: Job }) {
  const api = useApi();
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const [dialog, setDialog] = useState<'cancel' | 'delete' | 'resubmit' | null>(null);
  const path = { params: { path: { jobId: job.jobId } } };
  const cancel = useMutation({
    mutationFn: () => unwrap(api.client.POST('/jobs/{jobId}/cancel', path)),
    onSuccess: (updated) => {
      queryClient.setQueryData(jobQuery(api, job.jobId).queryKey, updated);
      void queryClient.invalidateQueries({ queryKey: ['jobs'] });
      setDialog(null);
    },
  });
  const remove = useMutation({
    mutationFn: () => unwrap(api.client.DELETE('/jobs/{jobId}', path)),
    onSuccess: async () => {
      setDialog(null);
      queryClient.removeQueries({ queryKey: jobQuery(api, job.jobId).queryKey });
      await queryClient.invalidateQueries({ queryKey: ['jobs'] });
      await navigate({ to: '/jobs' });
    },
  });
  return (
    <div className="actions">
      {/* A failed job offers it in its explanation. */}
      {offersResubmit(job) ? (
        <button type="button" className="button" onClick={() => setDialog('resubmit')}>
          Resubmit
        </button>
      ) : null}
      {isFinished(job.status) && !job.error ? <StartAgainLink jobId={job.jobId} /> : null}
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
      {offersResubmit(job) ? (
        <ResubmitDialog job={job} open={dialog === 'resubmit'} onClose={() => setDialog(null)} />
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

/** A job resubmitted since: where the new jobs are, before anything else is read. */
function ResubmittedAs({ job }: { job: Job }) {
  if (job.resubmittedAs.length === 0) return null;
  return (
    <div className="notice info" role="note">
      <p className="notice-title">
        {job.resubmittedAs.length === 1 ? 'This job was resubmitted:' : 'This job was resubmitted as:'}
      </p>
      <ul className="job-links">
        {job.resubmittedAs.map((jobId) => (
          <li key={jobId}>
            <LinkedJob jobId={jobId} />
          </li>
        ))}
      </ul>
    </div>
  );
}
