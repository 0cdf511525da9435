/**
 * New job: files (uploaded here, or reused from earlier uploads that are READY), the service and its
 * options as the service offers them to this researcher (defaults preselected, the population asked
 * for), a review, and one submit: the Idempotency-Key stays the same while the request does, so a
 * double click or a retried request creates one job. Then the job's page. Opened from a job ("Start
 * again with these settings", `?from=<jobId>`) it is filled in from that job. A choice the chosen
 * service or panel cannot keep is said, never changed silently. A panel that other services of the
 * researcher offer too (GET /panels) can be sent "to any service offering this panel": the gateway picks.
 */
import { useMutation, useQuery } from '@tanstack/react-query';
import { getRouteApi, Link, useNavigate } from '@tanstack/react-router';
import { type FormEvent, useEffect, useId, useRef, useState } from 'react';
import { validationMessages } from '../api/api-error';
import { unwrap } from '../api/client';
import { uploadsQuery } from '../api/upload-queries';
import { BuildAdvice } from '../components/build-advice';
import { EarlierUploads } from '../components/earlier-uploads';
import { type ExtraTarget, ExtraTargets, extraTargetsToSend } from '../components/extra-targets';
import { ErrorNotice, Loading } from '../components/feedback';
import { FileUploads } from '../components/file-uploads';
import { JobReview, OptionFields } from '../components/job-options-form';
import { PageHeading } from '../components/page-heading';
import { StartAgainNotice } from '../components/start-again-notice';
import { useFileUploads } from '../components/use-file-uploads';
import { useStartAgain } from '../components/use-start-again';
import { useApi } from '../context';
import { distinctUploads, jobFiles } from '../lib/file-checks';
import {
  type ChoiceLabels,
  choiceLabels,
  droppedChoices,
  type JobChoices,
  needsPopulation,
  populationToSend,
  reconcileChoices,
} from '../lib/job-options';
import { anyServiceHint, panelGroupOf } from '../lib/panels';
import { tokenState } from '../lib/token-state';

const route = getRouteApi('/jobs/new');

/** Choices to carry into the next options loaded, with the labels that name them if they must go. */
interface Carried {
  choices: Partial<JobChoices>;
  labels: Partial<ChoiceLabels>;
}

export function NewJobPage() {
  const api = useApi();
  const navigate = useNavigate();
  const { from } = route.useSearch();
  const startAgain = useStartAgain(from);
  const uploads = useFileUploads();
  const [name, setName] = useState('');
  const [serviceId, setServiceId] = useState('');
  // Choices are valid for the service whose options they were reconciled with, and only for it.
  const [chosen, setChosen] = useState<{ serviceId: string; choices: JobChoices } | null>(null);
  const [notes, setNotes] = useState<string[]>([]);
  const carried = useRef<Carried | null>(null);
  const prefilledFrom = useRef<string | null>(null);
  const [reused, setReused] = useState<string[]>([]);
  const idempotency = useRef<{ body: string; key: string } | null>(null);
  const ids = { name: useId(), service: useId(), buildAdvice: useId(), anyService: useId() };

  const services = useQuery({ queryKey: ['services'], queryFn: () => unwrap(api.client.GET('/services')) });
  // The panels across the researcher's services: "any service offering this panel" (and Resubmit).
  const panels = useQuery({
    queryKey: ['panels'],
    queryFn: () => unwrap(api.client.GET('/panels')),
    staleTime: 5 * 60_000,
  });
  const [anyService, setAnyService] = useState(false);
  const [extras, setExtras] = useState<ExtraTarget[]>([]);
  const earlier = useQuery(uploadsQuery(api));
  const service = services.data?.services.find((s) => s.id === serviceId);
  const serviceList = services.data?.services;
  const waitForJob = startAgain.state === 'loading' || startAgain.state === 'ready';
  useEffect(() => {
    if (!serviceId && !waitForJob && serviceList?.[0]) setServiceId(serviceList[0].id);
  }, [serviceId, serviceList, waitForJob]);

  // Started again: fill the form from the job once it and its inputs are known.
  const { job: fromJob, reusable } = startAgain;
  useEffect(() => {
    if (startAgain.state !== 'ready' || !fromJob || !serviceList) return;
    if (prefilledFrom.current === fromJob.jobId) return;
    prefilledFrom.current = fromJob.jobId;
    setName(fromJob.name);
    setReused((list) => [...new Set([...list, ...reusable])]);
    const { refPanel, population, build, phasing, mode, r2Filter } = fromJob;
    carried.current = {
      choices: { refPanel, population, build, phasing, mode, r2Filter },
      labels: fromJob.labels,
    };
    const known = serviceList.some((s) => s.id === fromJob.serviceId);
    setServiceId(known ? fromJob.serviceId : (serviceList[0]?.id ?? ''));
    setChosen(null);
  }, [startAgain.state, fromJob, reusable, serviceList]);

  const token = service ? tokenState(service.credential) : null;
  const options = useQuery({
    queryKey: ['options', serviceId],
    queryFn: () =>
      unwrap(api.client.GET('/services/{serviceId}/options', { params: { path: { serviceId } } })),
    enabled: Boolean(serviceId) && token?.usable === true,
    staleTime: 5 * 60_000,
  });
  const choices = chosen?.serviceId === serviceId ? chosen.choices : null;
  useEffect(() => {
    if (!options.data || chosen?.serviceId === serviceId) return;
    const previous = carried.current;
    carried.current = null;
    const next = reconcileChoices(options.data, previous?.choices);
    const serviceName = service?.name ?? serviceId;
    setNotes(
      previous ? droppedChoices(options.data, previous.choices, next, previous.labels, serviceName) : [],
    );
    setChosen({ serviceId, choices: next });
  }, [options.data, serviceId, chosen, service]);

  const readyEarlier = distinctUploads(
    (earlier.data?.uploads ?? []).filter((u) => u.status === 'READY'),
    reused,
    uploads.rows.filter((row) => row.phase !== 'failed' && row.phase !== 'canceled'),
  );
  const files = jobFiles(
    uploads.rows,
    readyEarlier.filter((u) => reused.includes(u.uploadId)),
    choices?.build ?? null,
  );
  const uploadIds = [...new Set([...files.uploadIds, ...reused])];

  const group = choices ? panelGroupOf(panels.data, serviceId, choices.refPanel) : undefined;
  const routed = anyService && group !== undefined && group.services.length > 1 ? group : undefined;

  const create = useMutation({
    mutationFn: async () => {
      const { refPanel, ...rest } = choices!;
      const common = {
        name: name.trim(),
        ...rest,
        population: populationToSend(choices!),
        build: choices!.build as 'hg19' | 'hg38',
        uploadIds,
      };
      // By panel: the gateway picks among the services that offer it (the job records why).
      const main = routed ? { panel: routed.panelKey } : { serviceId, refPanel };
      const more = extraTargetsToSend(panels.data, extras);
      // With other places too: one parent job, one job per place (the API's `targets`).
      const body =
        more.length > 0
          ? { ...common, targets: [{ ...main, population: common.population }, ...more] }
          : { ...common, ...main };
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
  if (uploadIds.length === 0 && !files.busy) problems.push('Add at least one uploaded file.');
  if (files.unusable.length > 0)
    problems.push(`Remove the files that cannot be used: ${files.unusable.join(', ')}.`);
  if (files.buildAdvice.length > 0)
    problems.push(
      'Choose the build your files are, or remove the files it contradicts (see the advice above).',
    );
  if (files.busy) problems.push('Wait until every file is checked and uploaded.');
  if (extras.some((extra) => !extra.offer))
    problems.push('Choose the service and panel of every other place, or remove it.');
  if (!choices) problems.push('Choose the service options.');
  if (choices && options.data && needsPopulation(options.data, choices))
    problems.push('Choose a population.');
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (problems.length === 0 && !create.isPending) create.mutate();
  };

  return (
    <section>
      <PageHeading>New job</PageHeading>
      <StartAgainNotice
        startAgain={startAgain}
        reusedNames={(fromJob?.inputs ?? [])
          .filter((i) => reused.includes(i.uploadId))
          .map((i) => i.fileName)}
        serviceKnown={!fromJob || Boolean(serviceList?.some((s) => s.id === fromJob.serviceId))}
      />
      <form onSubmit={submit} className="new-job" noValidate>
        <fieldset>
          <legend>1. Input files</legend>
          <FileUploads
            uploads={uploads}
            buildAdvice={new Map(files.buildAdvice.map((advice) => [advice.key, advice.message]))}
          />
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
          {services.data && serviceId ? (
            <div className="field">
              <label htmlFor={ids.service}>Service</label>
              <select
                id={ids.service}
                value={serviceId}
                onChange={(e) => {
                  // Choosing the service already chosen keeps its options (they are not fetched again).
                  if (e.target.value === serviceId) return;
                  // The choices go along: the new service's options keep what they offer, and say what not.
                  if (choices && options.data) {
                    carried.current = { choices, labels: choiceLabels(options.data, choices) };
                  }
                  setServiceId(e.target.value);
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
          {notes.length > 0 ? (
            <div className="notice warning" role="status">
              {notes.map((note) => (
                <p key={note}>{note}</p>
              ))}
            </div>
          ) : null}
          {options.data && choices ? (
            <OptionFields
              options={options.data}
              serviceName={service?.name ?? serviceId}
              choices={choices}
              onChange={(next, changeNotes) => {
                setChosen({ serviceId, choices: next });
                setNotes(changeNotes);
              }}
              buildAdviceId={files.buildAdvice.length > 0 ? ids.buildAdvice : undefined}
            />
          ) : null}
          {options.data && choices && group && group.services.length > 1 ? (
            <div className="choice">
              <input
                type="checkbox"
                id={ids.anyService}
                checked={anyService}
                aria-describedby={`${ids.anyService}-hint`}
                onChange={(e) => setAnyService(e.target.checked)}
              />
              <label htmlFor={ids.anyService}>
                Run it at any service offering this panel
                <span id={`${ids.anyService}-hint`} className="hint muted">
                  {anyServiceHint(group)}
                </span>
              </label>
            </div>
          ) : null}
          {options.data && choices ? (
            <ExtraTargets panels={panels.data} extras={extras} onChange={setExtras} />
          ) : null}
          <BuildAdvice id={ids.buildAdvice} advice={files.buildAdvice} />
        </fieldset>

        <fieldset>
          <legend>3. Review and submit</legend>
          {choices && options.data ? (
            <JobReview
              options={options.data}
              choices={choices}
              files={uploadIds.length}
              service={
                routed
                  ? `Any of ${routed.services.map((offer) => offer.serviceName).join(', ')}: the gateway picks`
                  : (service?.name ?? serviceId)
              }
            />
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
              {validationMessages(create.error).map((m) => (
                <p key={m} className="detail">
                  {m}
                </p>
              ))}
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
