/**
 * A parent job (the same files and options run at several places): its derived status, a summary of its
 * children, each child with its status and a link, and cancel / delete acting on all of them.
 */
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { Link, useNavigate } from '@tanstack/react-router';
import { useState } from 'react';
import { type ParentJob, type ParentJobStatus, unwrap } from '../api/client';
import { jobQuery } from '../api/job-queries';
import { useApi } from '../context';
import { canCancel, isFinished, statusTone } from '../lib/job-status';
import { childrenSentence, isParentRunning, parentStatusLabel, parentStatusTone } from '../lib/parent-jobs';
import { ConfirmDialog } from './confirm-dialog';
import { ErrorNotice } from './feedback';
import { PageHeading } from './page-heading';
import { StatusChip } from './status-chip';

export function ParentStatusChip({ status }: { status: ParentJobStatus }) {
  return (
    <span className={`chip tone-${statusTone(parentStatusTone(status))}`}>{parentStatusLabel(status)}</span>
  );
}

export function ParentJobDetails({ job }: { job: ParentJob }) {
  return (
    <section>
      <div className="page-top">
        <PageHeading title={job.name}>{job.name}</PageHeading>
        <ParentJobActions job={job} />
      </div>
      <div className="status-line" role="status" aria-live="polite">
        <ParentStatusChip status={job.status} />
        <span>{childrenSentence(job.summary)}</span>
        {isParentRunning(job.status) ? <progress aria-label="Jobs in progress" /> : null}
      </div>
      {job.status === 'INCOMPLETE' ? (
        <p className="notice warning">
          Not every job of this request was created. Send the same request again (with the same
          Idempotency-Key) to create the rest.
        </p>
      ) : null}
      <h2>Where it runs</h2>
      <ul className="job-links parent-children" aria-label="Jobs of this request">
        {job.targets.map((target) => {
          const child = job.children.find((c) => c.jobId === target.jobId);
          return (
            <li key={target.jobId}>
              {child ? <StatusChip status={child.status} /> : <span className="chip">Not created</span>}{' '}
              {child ? (
                <Link to="/jobs/$jobId" params={{ jobId: child.jobId }}>
                  {child.name}
                </Link>
              ) : (
                <span>{target.jobId}</span>
              )}
              <span className="cell-detail">
                {target.serviceName} · {child?.labels.refPanel ?? target.refPanel} · population{' '}
                {child?.labels.population ?? target.population}
              </span>
            </li>
          );
        })}
      </ul>
      <h2>Shared settings</h2>
      <dl className="facts">
        <dt>Build</dt>
        <dd>{job.build}</dd>
        <dt>Files</dt>
        <dd>{job.inputs.map((input) => input.fileName).join(', ')}</dd>
      </dl>
    </section>
  );
}

function ParentJobActions({ job }: { job: ParentJob }) {
  const api = useApi();
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const [dialog, setDialog] = useState<'cancel' | 'delete' | null>(null);
  const path = { params: { path: { jobId: job.jobId } } };
  const cancel = useMutation({
    mutationFn: () => unwrap(api.client.POST('/jobs/{jobId}/cancel', path)),
    onSuccess: async () => {
      setDialog(null);
      await queryClient.invalidateQueries({ queryKey: jobQuery(api, job.jobId).queryKey });
      await queryClient.invalidateQueries({ queryKey: ['jobs'] });
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
  const anyActive = job.children.some((child) => canCancel(child.status));
  const allEnded = job.children.every((child) => isFinished(child.status));
  return (
    <div className="actions">
      {anyActive ? (
        <button type="button" className="button danger-outline" onClick={() => setDialog('cancel')}>
          Cancel all
        </button>
      ) : null}
      {allEnded ? (
        <button type="button" className="button danger-outline" onClick={() => setDialog('delete')}>
          Delete all
        </button>
      ) : null}
      <ConfirmDialog
        open={dialog === 'cancel'}
        title="Cancel every job of this request?"
        confirmLabel="Cancel all"
        danger
        busy={cancel.isPending}
        onConfirm={() => cancel.mutate()}
        onClose={() => setDialog(null)}
      >
        <p>Each job still running stops, at its service too. Finished jobs keep their results.</p>
        {cancel.error ? <ErrorNotice error={cancel.error} /> : null}
      </ConfirmDialog>
      <ConfirmDialog
        open={dialog === 'delete'}
        title="Delete every job of this request?"
        confirmLabel="Delete all"
        danger
        busy={remove.isPending}
        onConfirm={() => remove.mutate()}
        onClose={() => setDialog(null)}
      >
        <p>All its jobs and their result files are deleted for good. Download what you need first.</p>
        {remove.error ? <ErrorNotice error={remove.error} /> : null}
      </ConfirmDialog>
    </div>
  );
}

/** On a child's page: the request it is part of. */
export function ParentLink({ parentId }: { parentId: string }) {
  return (
    <p className="notice info" role="note">
      One of the jobs of a request run at several places:{' '}
      <Link to="/jobs/$jobId" params={{ jobId: parentId }}>
        see all of them
      </Link>
      .
    </p>
  );
}
