/**
 * Services & tokens: each service of the deployment with the state of the researcher's token, a form to
 * store or replace it (verified by the service before it is kept; the input is cleared and the token held
 * nowhere in the browser) and a confirmed delete; and each service's health as the watcher last found it
 * (down or in maintenance: since when, the last error, what that means for jobs), asked again every minute.
 */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useId, useState } from 'react';
import { validationMessages } from '../api/api-error';
import { type Credential, type Service, unwrap } from '../api/client';
import { ConfirmDialog } from '../components/confirm-dialog';
import { ErrorNotice, Loading } from '../components/feedback';
import { PageHeading } from '../components/page-heading';
import { useApi } from '../context';
import { formatDateTime } from '../lib/format';
import { healthLabel, healthSentence } from '../lib/service-health';
import { tokenState } from '../lib/token-state';

/** How often the page asks again for the services' health (the watcher's cadence). */
const HEALTH_REFRESH_MS = 60_000;

export function ServicesPage() {
  const api = useApi();
  const services = useQuery({
    queryKey: ['services'],
    queryFn: () => unwrap(api.client.GET('/services')),
    // The watcher probes every minute: a service going down or coming back shows without a reload.
    refetchInterval: HEALTH_REFRESH_MS,
    // Opened from another page that listed the services seconds ago: the health shown is asked anew.
    refetchOnMount: 'always',
    refetchIntervalInBackground: false,
  });
  const credentials = useQuery({
    queryKey: ['credentials'],
    queryFn: () => unwrap(api.client.GET('/me/credentials')),
  });
  return (
    <section>
      <PageHeading>Services &amp; tokens</PageHeading>
      <p className="lead">
        Each service runs your jobs with your own API token. Tokens are checked with the service, kept
        encrypted by the gateway and never shown again.
      </p>
      {services.isPending ? <Loading what="services" /> : null}
      {services.error ? <ErrorNotice error={services.error} onRetry={() => void services.refetch()} /> : null}
      <div className="cards">
        {services.data?.services.map((service) => (
          <ServiceCard
            key={service.id}
            service={service}
            credential={credentials.data?.credentials.find((c) => c.serviceId === service.id)}
          />
        ))}
      </div>
    </section>
  );
}

function ServiceCard({ service, credential }: { service: Service; credential: Credential | undefined }) {
  const api = useApi();
  const queryClient = useQueryClient();
  const state = tokenState(service.credential);
  const inputId = useId();
  const [token, setToken] = useState('');
  const [confirming, setConfirming] = useState(false);
  const [saved, setSaved] = useState('');
  const refresh = () =>
    Promise.all(
      ['services', 'credentials', 'options'].map((key) => queryClient.invalidateQueries({ queryKey: [key] })),
    );
  const store = useMutation({
    mutationFn: (value: string) =>
      unwrap(
        api.client.PUT('/me/credentials/{serviceId}', {
          params: { path: { serviceId: service.id } },
          body: { token: value },
        }),
      ),
    onSuccess: async (stored) => {
      setSaved(`Token stored for ${stored.serviceUsername}.`);
      await refresh();
    },
  });
  const remove = useMutation({
    mutationFn: () =>
      unwrap(
        api.client.DELETE('/me/credentials/{serviceId}', { params: { path: { serviceId: service.id } } }),
      ),
    onSuccess: async () => {
      setConfirming(false);
      setSaved('Token deleted.');
      await refresh();
    },
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const value = token.trim();
    setToken('');
    setSaved('');
    if (value) store.mutate(value);
  };
  const headingId = `service-${service.id}`;
  return (
    <article className="card" aria-labelledby={headingId}>
      <header className="card-header">
        <h2 id={headingId}>{service.name}</h2>
        <span className={`chip token-${state.kind}`}>{state.label}</span>
      </header>
      <p className="muted">
        {service.location}
        {service.notes ? ` · ${service.notes}` : ''}
      </p>
      <p className="service-health">
        <span className={`chip health-${(service.health?.status ?? 'unknown').toLowerCase()}`}>
          {healthLabel(service.health)}
        </span>{' '}
        {healthSentence(service.health)}
      </p>
      {credential ? (
        <dl className="facts">
          <dt>Account</dt>
          <dd>{credential.serviceUsername}</dd>
          <dt>Token</dt>
          <dd>ending {credential.tokenHint.replace(/^…/, '')}</dd>
          <dt>Expires</dt>
          <dd>{formatDateTime(credential.expiresAt)}</dd>
        </dl>
      ) : null}
      {state.advice ? <p>{state.advice}</p> : null}
      <form onSubmit={submit} className="token-form">
        <label htmlFor={inputId}>{credential ? 'Replace the API token' : 'API token'}</label>
        <div className="inline-field">
          <input
            id={inputId}
            type="password"
            autoComplete="off"
            spellCheck={false}
            value={token}
            onChange={(event) => setToken(event.target.value)}
            required
            minLength={16}
          />
          <button type="submit" className="button primary" disabled={store.isPending}>
            {store.isPending ? 'Checking with the service…' : credential ? 'Replace token' : 'Store token'}
          </button>
        </div>
        <p className="hint">
          <a href={service.tokenHelpUrl} target="_blank" rel="noreferrer noopener">
            Where to get a token for {service.name}
          </a>
        </p>
      </form>
      <div aria-live="polite">
        {saved ? <p className="notice success">{saved}</p> : null}
        {store.error ? (
          <>
            <ErrorNotice error={store.error} />
            {validationMessages(store.error).map((m) => (
              <p key={m} className="detail">
                {m}
              </p>
            ))}
          </>
        ) : null}
      </div>
      {credential ? (
        <div className="actions">
          <button type="button" className="button danger-outline" onClick={() => setConfirming(true)}>
            Delete token
          </button>
        </div>
      ) : null}
      <ConfirmDialog
        open={confirming}
        title={`Delete your ${service.name} token?`}
        confirmLabel="Delete token"
        danger
        busy={remove.isPending}
        onConfirm={() => remove.mutate()}
        onClose={() => setConfirming(false)}
      >
        <p>New jobs on {service.name} need a token again. Jobs already submitted keep running.</p>
        {remove.error ? <ErrorNotice error={remove.error} /> : null}
      </ConfirmDialog>
    </article>
  );
}
