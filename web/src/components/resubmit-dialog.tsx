/**
 * "Resubmit": a new job from this job's files and options, at its own service (the default) or at
 * another service that offers an equivalent panel, or wherever the gateway finds one up. A modal
 * <dialog> (focus kept inside, Escape closes it) with one radio group; services whose panels could not
 * be read are named with why, not left out silently. The request carries an Idempotency-Key that stays
 * the same while the choice does, so a double click creates one job. Then the new job's page.
 */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useNavigate } from '@tanstack/react-router';
import { useEffect, useId, useRef, useState } from 'react';
import { type Job, unwrap } from '../api/client';
import { jobQuery } from '../api/job-queries';
import { useApi } from '../context';
import { resubmitTargets, unavailableWords } from '../lib/resubmit';
import { ErrorNotice, Loading } from './feedback';

export function ResubmitDialog({ job, open, onClose }: { job: Job; open: boolean; onClose: () => void }) {
  const api = useApi();
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const ref = useRef<HTMLDialogElement>(null);
  const ids = { title: useId(), group: useId() };
  const [value, setValue] = useState('same');
  const idempotency = useRef<{ body: string; key: string } | null>(null);
  const panels = useQuery({
    queryKey: ['panels'],
    queryFn: () => unwrap(api.client.GET('/panels')),
    enabled: open,
    staleTime: 5 * 60_000,
  });
  const targets = resubmitTargets(job, panels.data);
  const target = targets.find((t) => t.value === value && !t.disabled) ?? targets[0]!;
  const unavailable = panels.data?.unavailable ?? [];

  const resubmit = useMutation({
    mutationFn: () => {
      const text = JSON.stringify(target.body);
      if (idempotency.current?.body !== text) idempotency.current = { body: text, key: crypto.randomUUID() };
      return unwrap(
        api.client.POST('/jobs/{jobId}/resubmit', {
          params: { path: { jobId: job.jobId }, header: { 'Idempotency-Key': idempotency.current.key } },
          body: target.body,
        }),
      );
    },
    onSuccess: async (created) => {
      onClose();
      void queryClient.invalidateQueries({ queryKey: jobQuery(api, job.jobId).queryKey });
      void queryClient.invalidateQueries({ queryKey: ['jobs'] });
      await navigate({ to: '/jobs/$jobId', params: { jobId: created.jobId } });
    },
  });

  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    if (open && !dialog.open) dialog.showModal();
    if (!open && dialog.open) dialog.close();
  }, [open]);

  return (
    <dialog ref={ref} className="dialog" aria-labelledby={ids.title} onClose={onClose}>
      <h2 id={ids.title}>Resubmit this job?</h2>
      <p>
        A new job starts with the same {job.inputs.length === 1 ? 'file' : `${job.inputs.length} files`} and
        options. This job stays as it is, and each links to the other.
      </p>
      <fieldset className="choice-group" aria-describedby={`${ids.group}-note`}>
        <legend>Where to run it</legend>
        {targets.map((t) => (
          <div key={t.value} className="choice">
            <input
              type="radio"
              id={`${ids.group}-${t.value}`}
              name={ids.group}
              value={t.value}
              checked={target.value === t.value}
              disabled={t.disabled}
              aria-describedby={`${ids.group}-${t.value}-hint`}
              onChange={() => setValue(t.value)}
            />
            <label htmlFor={`${ids.group}-${t.value}`}>
              {t.label}
              <span id={`${ids.group}-${t.value}-hint`} className="hint muted">
                {t.hint}
              </span>
            </label>
          </div>
        ))}
        <div id={`${ids.group}-note`} aria-live="polite">
          {panels.isFetching && !panels.data ? <Loading what="the services offering this panel" /> : null}
          {panels.data && targets.length === 1 ? (
            <p className="hint muted">No other service of yours offers an equivalent panel.</p>
          ) : null}
          {unavailable.length > 0 ? (
            <p className="hint muted">
              Not listed:{' '}
              {unavailable.map((u) => `${u.serviceName} (${unavailableWords(u.reason)})`).join('; ')}.
            </p>
          ) : null}
        </div>
      </fieldset>
      {panels.error ? (
        <p className="hint muted">Other services could not be listed just now; the same service still can.</p>
      ) : null}
      {resubmit.error ? <ErrorNotice error={resubmit.error} /> : null}
      <div className="actions">
        <button type="button" className="button" onClick={onClose}>
          Close
        </button>
        <button
          type="button"
          className="button primary"
          disabled={resubmit.isPending}
          onClick={() => resubmit.mutate()}
        >
          {resubmit.isPending ? 'Resubmitting…' : 'Resubmit'}
        </button>
      </div>
    </dialog>
  );
}
