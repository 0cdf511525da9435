/**
 * What was said about a job: the findings of our own input checks (a job that failed them never reached
 * the service, so they take the place of its messages), the service's messages as it typed them, and our
 * timeline of the job's states, naming the service.
 */
import { Fragment } from 'react';
import type { Job } from '../api/client';
import { formatDateTime } from '../lib/format';
import { inputFindings } from '../lib/job-failure';
import {
  isFinished,
  leftOutText,
  messageKind,
  messageKindLabel,
  messageText,
  timelineLabel,
} from '../lib/job-status';
import { WithCode } from './with-code';

export function JobMessages({ job }: { job: Job }) {
  const findings = inputFindings(job);
  const reachedService = job.externalJobId !== null || job.messages.length > 0;
  return (
    <>
      {findings.length > 0 ? (
        <section aria-labelledby="findings-heading">
          <h2 id="findings-heading">What our checks found</h2>
          <ul className="findings">
            {findings.map((finding) => (
              <li key={`${finding.fileName}\u0000${finding.problem}`}>
                {finding.fileName ? <span className="file-name">{finding.fileName}: </span> : null}
                <WithCode text={finding.problem} />
              </li>
            ))}
          </ul>
        </section>
      ) : null}
      {findings.length > 0 && !reachedService ? null : <ServiceMessages job={job} />}
    </>
  );
}

function ServiceMessages({ job }: { job: Job }) {
  const none = !isFinished(job.status)
    ? 'No messages yet.'
    : job.externalJobId
      ? 'The service sent no messages.'
      : `The job never reached ${job.serviceName}.`;
  return (
    <section aria-labelledby="messages-heading">
      <h2 id="messages-heading">Messages from {job.serviceName}</h2>
      {job.messages.length === 0 ? (
        <p className="muted">{none}</p>
      ) : (
        <ol className="messages">
          {job.messages.map((message) => {
            const kind = messageKind(message.type);
            return (
              <li
                key={`${message.step}\u0000${message.type}\u0000${message.message}`}
                className={`message kind-${kind}`}
              >
                <span className={`chip message-${kind}`}>{messageKindLabel[kind]}</span>
                <span className="step">{message.step}</span>
                <span className="message-text">{messageText(message.message)}</span>
              </li>
            );
          })}
        </ol>
      )}
    </section>
  );
}

export function JobTimeline({ job }: { job: Job }) {
  return (
    <section aria-labelledby="timeline-heading">
      <h2 id="timeline-heading">Timeline</h2>
      <ol className="timeline">
        {job.events.map((event, index) => (
          <Fragment key={`${event.at}-${event.to}`}>
            {job.eventsLeftOut && index === job.eventsLeftOut.after ? (
              <li className="timeline-gap">
                {leftOutText(job.eventsLeftOut.count, job.events[index - 1]?.at, event.at)}
              </li>
            ) : null}
            <li>
              <time dateTime={event.at}>{formatDateTime(event.at)}</time>
              <span>{timelineLabel(event.to, job.serviceName)}</span>
              {event.detail ? <span className="muted"> — {event.detail}</span> : null}
            </li>
          </Fragment>
        ))}
      </ol>
    </section>
  );
}
