/**
 * "Unfinished uploads" on the New job page: the multipart uploads this browser started for the user and
 * did not finish (a reload, a closed tab), with how far each got, the hint that picking the same file
 * again resumes it, and Abandon (after a confirmation: S3 then discards the parts).
 */
import { useId, useState } from 'react';
import { formatBytes, formatDateTime } from '../lib/format';
import { ConfirmDialog } from './confirm-dialog';
import { ErrorNotice } from './feedback';
import type { FileUploadsState } from './use-file-uploads';

export function UnfinishedUploads({ uploads }: { uploads: FileUploadsState }) {
  const headingId = useId();
  const [asked, setAsked] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  if (uploads.unfinished.length === 0 && !uploads.abandonError) return null;
  const askedRecord = uploads.unfinished.find((e) => e.fingerprint === asked)?.record;
  const confirm = async () => {
    if (!asked) return;
    setBusy(true);
    await uploads.abandon(asked);
    setBusy(false);
    setAsked(null);
  };
  return (
    <section className="unfinished" aria-labelledby={headingId}>
      <h3 id={headingId}>Unfinished uploads</h3>
      <p className="muted">
        Pick the same file again (Choose files, or drop it) to resume: only the missing parts are sent.
      </p>
      {uploads.abandonError ? <ErrorNotice error={uploads.abandonError} /> : null}
      <ul className="upload-list" aria-label="Unfinished uploads">
        {uploads.unfinished.map(({ fingerprint, record }) => {
          const percent = Math.floor((record.partsDone / record.partCount) * 100);
          return (
            <li
              key={fingerprint}
              className="upload phase-interrupted"
              data-unfinished-upload={record.fileName}
            >
              <div className="upload-head">
                <span className="file-name">{record.fileName}</span>
                <span className="muted">{formatBytes(record.size)}</span>
                <span className="upload-phase">Unfinished</span>
              </div>
              <progress max={100} value={percent} aria-label={`${record.fileName} upload`}>
                {percent}%
              </progress>
              <div className="upload-meta">
                <span>
                  {record.partsDone} of {record.partCount} parts uploaded
                </span>
                <span>started {formatDateTime(record.createdAt)}</span>
              </div>
              <div className="actions">
                <button type="button" className="button subtle" onClick={() => setAsked(fingerprint)}>
                  Abandon <span className="visually-hidden">{record.fileName}</span>
                </button>
              </div>
            </li>
          );
        })}
      </ul>
      <ConfirmDialog
        open={Boolean(askedRecord)}
        title="Abandon this upload?"
        confirmLabel="Abandon upload"
        danger
        busy={busy}
        onConfirm={() => void confirm()}
        onClose={() => setAsked(null)}
      >
        <p>
          The parts of {askedRecord?.fileName} already uploaded are discarded; uploading the file again starts
          from zero.
        </p>
      </ConfirmDialog>
    </section>
  );
}
