/**
 * On New job opened with "Start again with these settings": which job the form was filled from, which of
 * its files are used again, and which are not and why (gone, found invalid by our checks, not checkable
 * just now), so nothing is left out silently.
 */
import { Link } from '@tanstack/react-router';
import { Loading } from './feedback';
import type { StartAgain } from './use-start-again';

export function StartAgainNotice(props: {
  startAgain: StartAgain;
  reusedNames: string[];
  serviceKnown: boolean;
}) {
  const { startAgain } = props;
  if (startAgain.state === 'none') return null;
  if (startAgain.state === 'loading') return <Loading what="the job to start again from" />;
  if (startAgain.state === 'missing' || startAgain.state === 'failed' || !startAgain.job) {
    return (
      <div className="notice warning" role="status">
        <p className="notice-title">
          {startAgain.state === 'missing'
            ? 'The job to start again from was not found.'
            : 'The job to start again from could not be read just now.'}
        </p>
        <p>
          {startAgain.state === 'missing'
            ? 'It may have been deleted. Fill in the form yourself, or '
            : 'Reload the page to try again, or '}
          <Link to="/jobs">pick another job</Link>.
        </p>
      </div>
    );
  }
  const { job, gone, invalid, unchecked } = startAgain;
  const names = (list: string[]) => list.join(', ');
  return (
    <div className="notice info" role="status">
      <p className="notice-title">
        Filled in from the job “
        <Link to="/jobs/$jobId" params={{ jobId: job.jobId }}>
          {job.name}
        </Link>
        ”: its service, options and files.
      </p>
      {!props.serviceKnown ? <p>{job.serviceName} is no longer offered here: choose a service.</p> : null}
      {props.reusedNames.length > 0 ? <p>Files used again: {names(props.reusedNames)}.</p> : null}
      {gone.length > 0 ? (
        <p>
          Gone (uploads are kept for a limited time): {names(gone)}. Upload{' '}
          {gone.length === 1 ? 'it' : 'them'} again below.
        </p>
      ) : null}
      {invalid.length > 0 ? (
        <p>
          Left out, since our checks found a problem in {invalid.length === 1 ? 'it' : 'them'}:{' '}
          {names(invalid)}. Add the fixed {invalid.length === 1 ? 'file' : 'files'} below.
        </p>
      ) : null}
      {unchecked.length > 0 ? (
        <p>Could not be checked just now: {names(unchecked)}. Add them below, or reload the page.</p>
      ) : null}
    </div>
  );
}
