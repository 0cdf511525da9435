/**
 * New job: files (uploaded here, or reused from earlier uploads that are READY), the service and its
 * options as the service offers them to this researcher (defaults preselected, populations of the chosen
 * panel only), a review, and one submit: the Idempotency-Key stays the same while the request does, so a
 * double click or a retried request creates one job. Then the job's page.
 */
import { useMutation, useQuery } from '@tanstack/react-query';
import { Link, useNavigate } from '@tanstack/react-router';
import { type FormEvent, useEffect, useId, useRef, useState } from 'react';
import { ApiError, validationMessages } from '../api/api-error';
import { unwrap } from '../api/client';
import { EarlierUploads } from '../components/earlier-uploads';
import { ErrorNotice, Loading } from '../components/feedback';
import { FileUploads } from '../components/file-uploads';
import { JobReview, OptionFields } from '../components/job-options-form';
import { PageHeading } from '../components/page-heading';
import { useFileUploads } from '../components/use-file-uploads';
import { useApi } from '../context';
import { type JobChoices, reconcileChoices } from '../lib/job-options';
import { tokenState } from '../lib/token-state';

export function NewJobPage() {
  const api = useApi();
  const navigate = useNavigate();
  const uploads = useFileUploads();
  const [name, setName] = useState('');
  const [serviceId, setServiceId] = useState('');
  const [choices, setChoices] = useState<JobChoices | null>(null);
  const [reused, setReused] = useState<string[]>([]);
  const idempotency = useRef<{ body: string; key: string } | null>(null);
  const ids = { name: useId(), service: useId() };

  const services = useQuery({ queryKey: ['services'], queryFn: () => unwrap(api.client.GET('/services')) });
  const earlier = useQuery({
    queryKey: ['uploads'],
    queryFn: () => unwrap(api.client.GET('/uploads', { params: { query: { limit: 100 } } })),
  });
  const service = services.data?.services.find((s) => s.id === serviceId);
  useEffect(() => {
    if (!serviceId && services.data?.services[0]) setServiceId(services.data.services[0].id);
  }, [serviceId, services.data]);
  const token = service ? tokenState(service.credential) : null;
  const options = useQuery({
    queryKey: ['options', serviceId],
    queryFn: () =>
      unwrap(api.client.GET('/services/{serviceId}/options', { params: { path: { serviceId } } })),
    enabled: Boolean(serviceId) && token?.usable === true,
    staleTime: 5 * 60_000,
  });
  useEffect(() => {
    if (options.data) setChoices((previous) => reconcileChoices(options.data, previous ?? {}));
  }, [options.data]);

  const uploaded = uploads.items
    .map((item) => item.upload.snapshot)
    .filter((s) => s.phase === 'done' && s.uploadId)
    .map((s) => s.uploadId!);
  const busyUploads = uploads.items.some(
    (item) => !['done', 'failed', 'canceled'].includes(item.upload.snapshot.phase),
  );
  const uploadIds = [...new Set([...uploaded, ...reused])];
  const readyEarlier = (earlier.data?.uploads ?? []).filter(
    (u) => u.status === 'READY' && !uploaded.includes(u.uploadId),
  );

  const create = useMutation({
    mutationFn: async () => {
      const body = {
        name: name.trim(),
        serviceId,
        ...choices!,
        build: choices!.build as 'hg19' | 'hg38',
        uploadIds,
      };
      const text = JSON.stringify(body);
      if (idempotency.current?.body !== text) idempotency.current = { body: text, key: crypto.randomUUID() };
      return unwrap(
        api.client.POST('/jobs', {
          body,
          params: { header: { 'Idempotency-Key': idempotency.current.key } },
        }),
      );
    },
    onSuccess: (job) => void navigate({ to: '/jobs/$jobId', params: { jobId: job.jobId } }),
  });
  const problems: string[] = [];
  if (!name.trim()) problems.push('Give the job a name.');
  if (uploadIds.length === 0) problems.push('Add at least one uploaded file.');
  if (busyUploads) problems.push('Wait until every file is uploaded.');
  if (!choices) problems.push('Choose the service options.');
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (problems.length === 0 && !create.isPending) create.mutate();
  };

  return (
    <section>
      <PageHeading>New job</PageHeading>
      <form onSubmit={submit} className="new-job" noValidate>
        <fieldset>
          <legend>1. Input files</legend>
          <FileUploads uploads={uploads} />
          <EarlierUploads uploads={readyEarlier} chosen={reused} onChange={setReused} />
        </fieldset>

        <fieldset>
          <legend>2. Service and options</legend>
          <div className="field">
            <label htmlFor={ids.name}>Job name</label>
            <input
              id={ids.name}
              value={name}
              maxLength={100}
              required
              onChange={(e) => setName(e.target.value)}
            />
          </div>
          {services.isPending ? <Loading what="services" /> : null}
          {services.error ? (
            <ErrorNotice error={services.error} onRetry={() => void services.refetch()} />
          ) : null}
          {services.data ? (
            <div className="field">
              <label htmlFor={ids.service}>Service</label>
              <select
                id={ids.service}
                value={serviceId}
                onChange={(e) => {
                  // Choosing the service already chosen keeps its options (they are not fetched again).
                  if (e.target.value === serviceId) return;
                  setServiceId(e.target.value);
                  setChoices(null);
                }}
              >
                {services.data.services.map((s) => (
                  <option key={s.id} value={s.id}>
                    {s.name}
                  </option>
                ))}
              </select>
            </div>
          ) : null}
          {service && token && !token.usable ? (
            <div className="notice warning" role="alert">
              <p className="notice-title">
                {token.kind === 'missing'
                  ? `You have no API token for ${service.name}.`
                  : `Your ${service.name} token: ${token.label.toLowerCase()}.`}
              </p>
              <p>
                {token.advice} <Link to="/services">Go to Services &amp; tokens</Link>
              </p>
            </div>
          ) : null}
          {options.isFetching && !options.data ? (
            <Loading what={`the options of ${service?.name ?? 'the service'}`} />
          ) : null}
          {options.error ? (
            <ErrorNotice error={options.error} onRetry={() => void options.refetch()} />
          ) : null}
          {options.data && choices ? (
            <OptionFields options={options.data} choices={choices} onChange={setChoices} />
          ) : null}
        </fieldset>

        <fieldset>
          <legend>3. Review and submit</legend>
          {choices && options.data ? (
            <JobReview options={options.data} choices={choices} files={uploadIds.length} />
          ) : null}
          {problems.length > 0 ? (
            <ul className="muted" aria-live="polite">
              {problems.map((p) => (
                <li key={p}>{p}</li>
              ))}
            </ul>
          ) : null}
          {create.error ? (
            <>
              <ErrorNotice error={create.error} onRetry={() => create.mutate()} />
              {create.error instanceof ApiError
                ? validationMessages(create.error).map((m) => (
                    <p key={m} className="detail">
                      {m}
                    </p>
                  ))
                : null}
            </>
          ) : null}
          <button type="submit" className="button primary" disabled={problems.length > 0 || create.isPending}>
            {create.isPending ? 'Creating the job…' : 'Start imputation'}
          </button>
        </fieldset>
      </form>
    </section>
  );
}
