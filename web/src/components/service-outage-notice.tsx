/**
 * On a job's page while its service is down or in maintenance (the watcher's health, GET
 * /services/{serviceId}): the outage in words, since when and why, and what it means for this job — kept,
 * not failed, going on by itself once the service answers. Asked again as often as the job itself.
 */
import { useQuery } from '@tanstack/react-query';
import { type Job, unwrap } from '../api/client';
import { useApi } from '../context';
import { isFinished } from '../lib/job-status';
import { refreshInterval } from '../lib/refresh-interval';
import { outageNotice } from '../lib/service-health';

export function ServiceOutageNotice({ job }: { job: Job }) {
  const api = useApi();
  const active = !isFinished(job.status);
  const service = useQuery({
    queryKey: ['services', job.serviceId],
    queryFn: () =>
      unwrap(api.client.GET('/services/{serviceId}', { params: { path: { serviceId: job.serviceId } } })),
    enabled: active,
    refetchInterval: () => refreshInterval([job]),
    refetchIntervalInBackground: false,
  });
  const notice = outageNotice(job, service.data?.health);
  if (!notice) return null;
  return (
    <div className="notice warning service-outage" role="note">
      <p className="notice-title">{notice.title}</p>
      <p>{notice.text}</p>
    </div>
  );
}
