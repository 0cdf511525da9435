/**
 * A finished job's results: each copied file with its size, SHA-256 and a download link (a presigned URL,
 * 15 minutes), files the service would not serve with its reason, a bash script that fetches them all and
 * checks their SHA-256, and the zip password behind Reveal.
 */
import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { type Job, unwrap } from '../api/client';
import { useApi } from '../context';
import { downloadScript } from '../lib/download-script';
import { formatBytes } from '../lib/format';
import { CopyButton } from './copy-button';
import { ErrorNotice, Loading } from './feedback';

export function JobResultsPanel({ job }: { job: Job }) {
  const api = useApi();
  const path = { params: { path: { jobId: job.jobId } } };
  const results = useQuery({
    queryKey: ['results', job.jobId, job.status],
    queryFn: () => unwrap(api.client.GET('/jobs/{jobId}/results', path)),
    // The links expire after 15 minutes; fetch fresh ones before that.
    staleTime: 10 * 60_000,
    refetchInterval: 10 * 60_000,
  });
  if (results.isPending) return <Loading what="the results" />;
  if (results.error) return <ErrorNotice error={results.error} onRetry={() => void results.refetch()} />;
  const { files, missing } = results.data;
  if (files.length === 0 && missing.length === 0) return null;
  const script = downloadScript(job.name, files, files[0]?.expiresAt);
  return (
    <section aria-labelledby="results-heading" className="results">
      <h2 id="results-heading">Results</h2>
      {files.length > 0 ? (
        <div className="table-wrap">
          <table className="results-table">
            <thead>
              <tr>
                <th scope="col">File</th>
                <th scope="col">Size</th>
                <th scope="col">SHA-256</th>
                <th scope="col">
                  <span className="visually-hidden">Download</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {files.map((file) => (
                <tr key={file.name}>
                  <td data-label="File">{file.name}</td>
                  <td data-label="Size">{formatBytes(file.size)}</td>
                  <td data-label="SHA-256">
                    <code className="hash">{file.sha256}</code>
                  </td>
                  <td>
                    <a className="button" href={file.url} download={file.name}>
                      Download <span className="visually-hidden">{file.name}</span>
                    </a>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      {missing.length > 0 ? (
        <>
          <h3>Not available</h3>
          <ul>
            {missing.map((file) => (
              <li key={file.name}>
                {file.name}: {file.reason}
              </li>
            ))}
          </ul>
        </>
      ) : null}
      {files.length > 0 ? (
        <details className="script">
          <summary>Download everything with a script</summary>
          <p>Run it in a terminal (bash, curl and sha256sum); it checks every file's SHA-256.</p>
          {/* biome-ignore lint/a11y/noNoninteractiveTabindex: a scrollable region takes the focus so keys can scroll its long lines (axe: scrollable-region-focusable) */}
          <section className="script-box" aria-label="Download script" tabIndex={0}>
            <pre>
              <code>{script}</code>
            </pre>
          </section>
          <CopyButton text={script} label="Copy script" />
        </details>
      ) : null}
      <PasswordReveal jobId={job.jobId} />
    </section>
  );
}

function PasswordReveal({ jobId }: { jobId: string }) {
  const api = useApi();
  const [shown, setShown] = useState(false);
  const password = useQuery({
    queryKey: ['password', jobId],
    queryFn: () => unwrap(api.client.GET('/jobs/{jobId}/password', { params: { path: { jobId } } })),
    enabled: shown,
    staleTime: Number.POSITIVE_INFINITY,
    gcTime: 0,
  });
  return (
    <div className="password">
      <h3>Zip password</h3>
      {!shown ? (
        <button type="button" className="button" onClick={() => setShown(true)}>
          Reveal password
        </button>
      ) : password.isPending ? (
        <Loading what="the password" />
      ) : password.error ? (
        <ErrorNotice error={password.error} onRetry={() => void password.refetch()} />
      ) : (
        <p className="inline-field">
          <code className="secret">{password.data.password}</code>
          <CopyButton text={password.data.password} label="Copy password" />
          <button type="button" className="button subtle" onClick={() => setShown(false)}>
            Hide
          </button>
        </p>
      )}
    </div>
  );
}
