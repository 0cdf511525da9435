/**
 * A job's settings as the researcher chose them, in the names the service gave them (recorded on the job
 * when it was created), and under "Ids for support" the ids behind them — the job's, the service's job
 * id, the option values as sent — to copy into a message to the gateway team or the service.
 */
import { Fragment } from 'react';
import type { Job } from '../api/client';
import { formatBytes, formatDateTime } from '../lib/format';
import { verdictWords } from '../lib/resubmit';
import { CopyButton } from './copy-button';
import { LinkedJob } from './linked-job';

export function JobFacts({ job }: { job: Job }) {
  const { labels } = job;
  return (
    <>
      <dl className="facts job-facts">
        <dt>Service</dt>
        <dd>{job.serviceName}</dd>
        <dt>Reference panel</dt>
        <dd>{labels.refPanel}</dd>
        <dt>Population</dt>
        <dd>{labels.population}</dd>
        <dt>Build of the input data</dt>
        <dd>{labels.build}</dd>
        <dt>Phasing</dt>
        <dd>{labels.phasing}</dd>
        <dt>Mode</dt>
        <dd>{labels.mode}</dd>
        <dt>r² filter</dt>
        <dd>{labels.r2Filter}</dd>
        <dt>Inputs</dt>
        <dd>{job.inputs.map((input) => `${input.fileName} (${formatBytes(input.size)})`).join(', ')}</dd>
        <dt>Created</dt>
        <dd>{formatDateTime(job.createdAt)}</dd>
        {job.resubmittedFrom ? (
          <>
            <dt>Resubmits</dt>
            <dd>
              <LinkedJob jobId={job.resubmittedFrom} />
            </dd>
          </>
        ) : null}
        {job.routing ? (
          <>
            <dt>Service chosen by the gateway</dt>
            <dd>
              {job.routing.reason}.
              <details>
                <summary>How each service was judged</summary>
                <ul className="job-links">
                  {job.routing.considered.map((c) => (
                    <li key={c.serviceId}>
                      {c.detail} ({verdictWords(c.verdict)})
                    </li>
                  ))}
                </ul>
              </details>
            </dd>
          </>
        ) : null}
      </dl>
      <SupportIds job={job} />
    </>
  );
}

/** The ids of a job, each with the name support reads it by. */
export function supportIds(job: Job): [string, string][] {
  return [
    ['Job', job.jobId],
    ['Service', job.serviceId],
    ['Job at the service', job.externalJobId ?? 'not submitted'],
    ['Reference panel', job.refPanel],
    ['Population', job.population],
    ['Build', job.build],
    ['Phasing', job.phasing],
    ['Mode', job.mode],
    ['r² filter', job.r2Filter],
    ['Uploads', job.inputs.map((input) => input.uploadId).join(', ')],
    ['Panel key', job.panelKey],
    ...(job.resubmittedFrom ? [['Resubmits', job.resubmittedFrom] as [string, string]] : []),
    ...(job.error ? [['Error code', job.error.code] as [string, string]] : []),
  ];
}

function SupportIds({ job }: { job: Job }) {
  const ids = supportIds(job);
  const text = ids.map(([name, value]) => `${name}: ${value}`).join('\n');
  return (
    <details className="support-ids">
      <summary>Ids for support</summary>
      <dl className="facts">
        {ids.map(([name, value]) => (
          <Fragment key={name}>
            <dt>{name}</dt>
            <dd>
              <code>{value}</code>
            </dd>
          </Fragment>
        ))}
      </dl>
      <CopyButton text={text} label="Copy the ids" />
    </details>
  );
}
