/**
 * The New job page's files: a drop zone and a file picker for `.vcf.gz` files (the state is
 * use-file-uploads.ts). Each file is checked as soon as it is picked: one that cannot be used says why
 * and how to fix it on its row and is not uploaded; one that passes says what was read (samples,
 * chromosome, the build its evidence shows) and uploads at once straight to S3 with a progress bar,
 * speed and time left, "Resuming: N of M parts already uploaded" when S3 held some, Resume / Remove
 * when an upload was interrupted; then the server's check of the whole file. The unfinished uploads of
 * earlier visits are listed below. Progress is announced only on phase changes (a live region per byte
 * would drown a screen reader).
 */
import { type DragEvent, useEffect, useId, useState } from 'react';
import { precheckSummary, serverCheckWords } from '../lib/file-checks';
import { formatBytes, formatDuration, formatFileProblem } from '../lib/format';
import { UnfinishedUploads } from './unfinished-uploads';
import type { FileUploadsState, UploadItem } from './use-file-uploads';
import { WithCode } from './with-code';

export function FileUploads(props: {
  uploads: FileUploadsState;
  /** The build advice for each file whose evidence the job's build contradicts, by row key. */
  buildAdvice: ReadonlyMap<string, string>;
}) {
  const { uploads } = props;
  const inputId = useId();
  const [over, setOver] = useState(false);
  const onDrop = (event: DragEvent) => {
    event.preventDefault();
    setOver(false);
    void uploads.add([...event.dataTransfer.files]);
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
            void uploads.add([...(event.target.files ?? [])]);
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
            <UploadRow
              key={item.key}
              item={item}
              buildAdvice={props.buildAdvice.get(item.key) ?? null}
              onRemove={() => uploads.remove(item.key)}
            />
          ))}
        </ul>
      ) : null}
      <UnfinishedUploads uploads={uploads} />
    </div>
  );
}

const phaseWords: Record<string, string> = {
  checking: 'Checking the file',
  refused: 'Cannot be used',
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

/** The row's phase: its own check first, then its upload, and the server's word on the whole file. */
function rowPhase(item: UploadItem): string {
  if (item.check.state === 'checking') return 'checking';
  if (item.check.state === 'refused' || item.serverCheck?.status === 'INVALID') return 'refused';
  return item.upload?.snapshot.phase ?? 'preparing';
}

function UploadRow(props: { item: UploadItem; buildAdvice: string | null; onRemove: () => void }) {
  const { item, buildAdvice } = props;
  const s = item.upload?.snapshot;
  const phase = rowPhase(item);
  const name = item.file.name;
  const [announced, setAnnounced] = useState('');
  useEffect(() => setAnnounced(`${name}: ${phaseWords[phase]}`), [phase, name]);
  const percent = s && s.size > 0 ? Math.floor((s.uploaded / s.size) * 100) : 0;
  const server = serverCheckWords(item.serverCheck);
  return (
    <li
      className={`upload phase-${phase}`}
      data-upload-phase={s?.phase ?? phase}
      data-file-check={item.serverCheck?.status.toLowerCase() ?? item.check.state}
    >
      <div className="upload-head">
        <span className="file-name">{name}</span>
        <span className="muted">{formatBytes(item.file.size)}</span>
        <span className="upload-phase">{phaseWords[phase]}</span>
      </div>
      {item.check.state === 'refused' ? (
        <p className="file-problem">
          <WithCode text={formatFileProblem(item.check.problem)} />
        </p>
      ) : null}
      {item.check.state === 'passed' ? (
        <p className="file-facts">{precheckSummary(item.check.result)}</p>
      ) : null}
      {buildAdvice ? (
        <p className="file-problem">
          <WithCode text={buildAdvice} />
        </p>
      ) : null}
      {server ? (
        <p className={server.tone === 'danger' ? 'file-problem' : `file-facts tone-${server.tone}`}>
          <WithCode text={server.text} />
        </p>
      ) : null}
      {s ? (
        <>
          <progress max={100} value={percent} aria-label={`${name} upload`}>
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
            {s.resumed && s.phase === 'done' ? (
              <span>resumed at {formatBytes(s.resumedFromBytes)}</span>
            ) : null}
            {s.message && s.phase !== 'done' ? <span>{s.message}</span> : null}
          </div>
        </>
      ) : null}
      <span className="visually-hidden" role="status">
        {announced}
      </span>
      <div className="actions">
        {s?.phase === 'interrupted' ? (
          <button type="button" className="button primary" onClick={() => void item.upload?.start()}>
            Resume upload
          </button>
        ) : null}
        <button type="button" className="button subtle" onClick={props.onRemove}>
          Remove <span className="visually-hidden">{name}</span>
        </button>
      </div>
    </li>
  );
}
