/**
 * The state behind the New job page's files: the uploads of this page (one engine each, started at once),
 * the files refused before any request (names checked as the API checks them, empty files, a file already
 * uploading), and the unfinished multipart uploads remembered in this browser for the signed-in user
 * (pending-uploads.ts): picking the same file again resumes one, abandoning it deletes it at the API.
 */
import { useMemo, useRef, useState } from 'react';
import { useAuth } from 'react-oidc-context';
import { useApi } from '../context';
import { browserTransport } from '../lib/browser-transport';
import { type KeyValueStorage, PendingUploads } from '../lib/pending-uploads';
import { FileUpload } from '../lib/upload-engine';
import { fileNameProblem } from '../lib/upload-plan';
import { abandonPending } from '../lib/upload-resume';

export interface UploadItem {
  key: string;
  upload: FileUpload;
}

const over = new Set(['done', 'failed', 'canceled']);

function browserStorage(): KeyValueStorage | null {
  try {
    return window.localStorage;
  } catch {
    return null; // storage refused (privacy settings): uploads resume within the page only
  }
}

export function useFileUploads() {
  const api = useApi();
  const user = useAuth().user?.profile.sub ?? '';
  const transport = useMemo(() => browserTransport(api), [api]);
  const pending = useMemo(() => new PendingUploads(browserStorage(), user), [user]);
  const [items, setItems] = useState<UploadItem[]>([]);
  const [rejected, setRejected] = useState<string[]>([]);
  const [abandonError, setAbandonError] = useState<unknown>(null);
  const [, setTick] = useState(0);
  const rerender = () => setTick((t) => t + 1);
  const counter = useRef(0);

  const add = (files: File[]) => {
    const problems: string[] = [];
    const added: UploadItem[] = [];
    const busy = new Set(
      items.filter((i) => !over.has(i.upload.snapshot.phase)).map((i) => i.upload.fingerprint),
    );
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
      const upload = new FileUpload(file, transport, { pending });
      if (busy.has(upload.fingerprint)) {
        problems.push(`${file.name}: this file is already being uploaded.`);
        continue;
      }
      busy.add(upload.fingerprint);
      counter.current += 1;
      upload.subscribe(rerender);
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

  // Remembered uploads this page is not uploading now (a row above stands for those it is).
  const active = new Set(
    items.filter((i) => i.upload.snapshot.phase !== 'canceled').map((i) => i.upload.fingerprint),
  );
  const unfinished = pending.list().filter((entry) => !active.has(entry.fingerprint));

  const abandon = async (fingerprint: string) => {
    setAbandonError(null);
    try {
      await abandonPending(transport, pending, fingerprint);
    } catch (error) {
      setAbandonError(error);
    }
    rerender();
  };

  return { items, rejected, add, remove, unfinished, abandon, abandonError };
}

export type FileUploadsState = ReturnType<typeof useFileUploads>;
