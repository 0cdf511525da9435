/**
 * The New job page's files: a drop zone and a file picker for `.vcf.gz` files (the state is
 * use-file-uploads.ts), each file uploading at once straight to S3 with a progress bar, speed and time
 * left, "Resuming: N of M parts already uploaded" when S3 held some, Resume / Remove when an upload was
 * interrupted, and the unfinished uploads of earlier visits below. Progress is announced only on phase
 * changes (a live region per byte would drown a screen reader).
 */
import { type DragEvent, useEffect, useId, useState } from 'react';
import { formatBytes, formatDuration } from '../lib/format';
import { UnfinishedUploads } from './unfinished-uploads';
import type { FileUploadsState, UploadItem } from './use-file-uploads';

export function FileUploads({ uploads }: { uploads: FileUploadsState }) {
  const inputId = useId();
  const [over, setOver] = useState(false);
  const onDrop = (event: DragEvent) => {
    event.preventDefault();
    setOver(false);
    uploads.add([...event.dataTransfer.files]);
  };
  return (
    <div>
      {/* biome-ignore lint/a11y/noStaticElementInteractions: the drop zone only adds a pointer path; the labelled file input beside it is the keyboard path */}
      <div
        className={`drop-zone${over ? ' over' : ''}`}
        onDragOver={(event) => {
          event.preventDefault();
          setOver(true);
        }}
        onDragLeave={() => setOver(false)}
        onDrop={onDrop}
      >
        <p>Drop bgzipped VCF files (.vcf.gz) here, or</p>
        <label htmlFor={inputId} className="button">
          Choose files
        </label>
        <input
          id={inputId}
          className="visually-hidden-input"
          type="file"
          multiple
          accept=".vcf.gz,.gz,application/gzip"
          onChange={(event) => {
            uploads.add([...(event.target.files ?? [])]);
            event.target.value = '';
          }}
        />
      </div>
      <div role="alert">
        {uploads.rejected.map((problem) => (
          <p key={problem} className="notice danger">
            {problem}
          </p>
        ))}
      </div>
      {uploads.items.length > 0 ? (
        <ul className="upload-list" aria-label="Files being uploaded">
          {uploads.items.map((item) => (
            <UploadRow key={item.key} item={item} onRemove={() => uploads.remove(item.key)} />
          ))}
        </ul>
      ) : null}
      <UnfinishedUploads uploads={uploads} />
    </div>
  );
}

const phaseWords: Record<string, string> = {
  preparing: 'Preparing',
  uploading: 'Uploading',
  retrying: 'Retrying',
  offline: 'Waiting for the connection',
  completing: 'Finishing',
  done: 'Uploaded',
  interrupted: 'Interrupted',
  failed: 'Failed',
  canceled: 'Canceled',
};

function UploadRow({ item, onRemove }: { item: UploadItem; onRemove: () => void }) {
  const s = item.upload.snapshot;
  const [announced, setAnnounced] = useState('');
  useEffect(() => setAnnounced(`${s.fileName}: ${phaseWords[s.phase]}`), [s.phase, s.fileName]);
  const percent = s.size > 0 ? Math.floor((s.uploaded / s.size) * 100) : 0;
  return (
    <li className={`upload phase-${s.phase}`} data-upload-phase={s.phase}>
      <div className="upload-head">
        <span className="file-name">{s.fileName}</span>
        <span className="muted">{formatBytes(s.size)}</span>
        <span className="upload-phase">{phaseWords[s.phase]}</span>
      </div>
      <progress max={100} value={percent} aria-label={`${s.fileName} upload`}>
        {percent}%
      </progress>
      <div className="upload-meta">
        <span>{percent}%</span>
        {s.bytesPerSecond ? <span>{formatBytes(s.bytesPerSecond)}/s</span> : null}
        {s.secondsLeft != null && s.phase === 'uploading' ? (
          <span>{formatDuration(s.secondsLeft)} left</span>
        ) : null}
        {s.resumed && s.phase !== 'done' ? (
          <span className="resumed">
            Resuming: {s.resumed.parts} of {s.resumed.of} parts already uploaded
          </span>
        ) : null}
        {s.resumed && s.phase === 'done' ? <span>resumed at {formatBytes(s.resumedFromBytes)}</span> : null}
        {s.message && s.phase !== 'done' ? <span>{s.message}</span> : null}
      </div>
      <span className="visually-hidden" role="status">
        {announced}
      </span>
      <div className="actions">
        {s.phase === 'interrupted' ? (
          <button type="button" className="button primary" onClick={() => void item.upload.start()}>
            Resume upload
          </button>
        ) : null}
        <button type="button" className="button subtle" onClick={onRemove}>
          Remove <span className="visually-hidden">{s.fileName}</span>
        </button>
      </div>
    </li>
  );
}
