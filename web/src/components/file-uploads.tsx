/**
 * The New job page's files: a drop zone and a file picker for `.vcf.gz` files (names checked as the API
 * checks them), each file uploading at once straight to S3 with a progress bar, speed and time left, and
 * Resume / Remove when an upload was interrupted. Progress is announced only on phase changes (a live
 * region per byte would drown a screen reader).
 */
import { type DragEvent, useEffect, useId, useMemo, useRef, useState } from 'react';
import { useApi } from '../context';
import { browserTransport } from '../lib/browser-transport';
import { formatBytes, formatDuration } from '../lib/format';
import { FileUpload } from '../lib/upload-engine';
import { fileNameProblem } from '../lib/upload-plan';

export interface UploadItem {
  key: string;
  upload: FileUpload;
}

export function useFileUploads() {
  const api = useApi();
  const transport = useMemo(() => browserTransport(api), [api]);
  const [items, setItems] = useState<UploadItem[]>([]);
  const [rejected, setRejected] = useState<string[]>([]);
  const [, setTick] = useState(0);
  const counter = useRef(0);
  const add = (files: File[]) => {
    const problems: string[] = [];
    const added: UploadItem[] = [];
    for (const file of files) {
      const problem = fileNameProblem(file.name);
      if (problem) {
        problems.push(`${file.name}: the name ${problem}.`);
        continue;
      }
      if (file.size === 0) {
        problems.push(`${file.name}: the file is empty.`);
        continue;
      }
      counter.current += 1;
      const upload = new FileUpload(file, transport);
      upload.subscribe(() => setTick((t) => t + 1));
      added.push({ key: `${counter.current}-${file.name}`, upload });
    }
    setRejected(problems);
    setItems((current) => [...current, ...added]);
    for (const item of added) void item.upload.start();
  };
  const remove = (key: string) => {
    const item = items.find((i) => i.key === key);
    if (item && item.upload.snapshot.phase !== 'done') void item.upload.cancel();
    setItems((current) => current.filter((i) => i.key !== key));
  };
  return { items, rejected, add, remove };
}

export function FileUploads({ uploads }: { uploads: ReturnType<typeof useFileUploads> }) {
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
        {s.resumedFromBytes > 0 ? <span>resumed at {formatBytes(s.resumedFromBytes)}</span> : null}
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
