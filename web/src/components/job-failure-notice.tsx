/**
 * Why a job failed and what to do, shown before the findings or messages it refers to, with the way on:
 * "Start again with these settings" (New job prefilled from this job) and, for a token the service
 * refused, the page where a new one is stored.
 */
import { Link } from '@tanstack/react-router';
import type { Job } from '../api/client';
import { jobFailureWording } from '../api/error-wording';

export function StartAgainLink({ jobId, primary }: { jobId: string; primary?: boolean }) {
  return (
    <Link to="/jobs/new" search={{ from: jobId }} className={`button${primary ? ' primary' : ''}`}>
      Start again with these settings
    </Link>
  );
}

export function JobFailureNotice({ job, error }: { job: Job; error: NonNullable<Job['error']> }) {
  const { title, advice } = jobFailureWording(error, job.serviceName, job.messages.length);
  return (
    <div className="notice danger" role="alert">
      <p className="notice-title">{title}</p>
      <p>{advice}</p>
      <div className="actions">
        <StartAgainLink jobId={job.jobId} primary />
        {error.code.startsWith('SERVICE_TOKEN_') ? (
          <Link to="/services">Go to Services &amp; tokens</Link>
        ) : null}
      </div>
    </div>
  );
}
