/**
 * A link to a related job (resubmitted from or as) by its name and status, read from the API; while
 * unknown, or once the job is deleted, by its id.
 */
import { useQuery } from '@tanstack/react-query';
import { Link } from '@tanstack/react-router';
import { isMissing } from '../api/api-error';
import { jobQuery } from '../api/job-queries';
import { useApi } from '../context';
import { statusLabel } from '../lib/job-status';
import { parentStatusLabel } from '../lib/parent-jobs';

export function LinkedJob({ jobId }: { jobId: string }) {
  const api = useApi();
  const job = useQuery({ ...jobQuery(api, jobId), staleTime: 60_000 });
  if (job.error && isMissing(job.error)) return <span>job {jobId} (deleted)</span>;
  return (
    <Link to="/jobs/$jobId" params={{ jobId }}>
      {job.data
        ? job.data.kind === 'parent'
          ? `${job.data.name} (${parentStatusLabel(job.data.status).toLowerCase()}, at several services)`
          : `${job.data.name} (${statusLabel(job.data.status).toLowerCase()}, at ${job.data.serviceName})`
        : `job ${jobId}`}
    </Link>
  );
}
