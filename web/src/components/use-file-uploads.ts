/**
 * The state behind the New job page's files. A picked file is checked here before anything is sent
 * (vcf-precheck.ts reads its head and tail: milliseconds): a file that cannot be used stays on its row
 * with the reason and is never announced to the API; one that passes uploads at once (one engine each),
 * and once uploaded, the server's check of the whole file is followed until it settles. Refused before
 * any request: names the API would refuse, and the same file picked twice (size and SHA-256 of both
 * ends). The unfinished multipart uploads remembered in this browser for the signed-in user
 * (pending-uploads.ts) are listed too: picking the same file again resumes one, abandoning it deletes it.
 */
import { useQueries } from '@tanstack/react-query';
import { useMemo, useRef, useState } from 'react';
import { useAuth } from 'react-oidc-context';
import { uploadCheckQuery } from '../api/upload-queries';
import { useApi } from '../context';
import { browserTransport } from '../lib/browser-transport';
import type { FileRow, PickedCheck, UploadCheck } from '../lib/file-checks';
import { type KeyValueStorage, PendingUploads } from '../lib/pending-uploads';
import { FileUpload } from '../lib/upload-engine';
import { fileNameProblem } from '../lib/upload-plan';
import { abandonPending } from '../lib/upload-resume';
import { contentFingerprint, precheckVcf } from '../lib/vcf-precheck';

interface PickedFile {
  key: string;
  file: File;
  /** Size and SHA-256 of both ends: the same file picked twice has the same. */
  contentPrint: string;
  check: PickedCheck;
  /** Started once the file's own check passed; null before, and for a file that cannot be used. */
  upload: FileUpload | null;
}

export interface UploadItem extends PickedFile {
  /** The server's check of the whole file, once it is uploaded. */
  serverCheck: UploadCheck | null;
}

/** A row the same file may be picked again beside: its upload failed for good or was canceled. */
const retired = (item: PickedFile) => ['failed', 'canceled'].includes(item.upload?.snapshot.phase ?? '');

function browserStorage(): KeyValueStorage | null {
  try {
    return window.localStorage;
  } catch {
    return null; // storage refused (privacy settings): uploads resume within the page only
  }
}

function duplicateProblem(name: string, earlier: string): string {
  return name === earlier
    ? `${name}: this file is already in the list above; a job takes each file once.`
    : `${name}: this is the same file as ${earlier}, already in the list above; a job takes each file once.`;
}

export function useFileUploads() {
  const api = useApi();
  const user = useAuth().user?.profile.sub ?? '';
  const transport = useMemo(() => browserTransport(api), [api]);
  const pending = useMemo(() => new PendingUploads(browserStorage(), user), [user]);
  // The files live in a ref, changed by async checks and upload engines, and rendered on each change.
  const list = useRef<PickedFile[]>([]);
  const [rejected, setRejected] = useState<string[]>([]);
  const [abandonError, setAbandonError] = useState<unknown>(null);
  const [, setTick] = useState(0);
  const rerender = () => setTick((t) => t + 1);
  const counter = useRef(0);

  const change = (key: string, update: Partial<PickedFile>) => {
    list.current = list.current.map((item) => (item.key === key ? { ...item, ...update } : item));
    rerender();
  };

  const checkThenUpload = async (item: PickedFile) => {
    let check: PickedCheck;
    try {
      const result = await precheckVcf(item.file);
      check = result.ok ? { state: 'passed', result } : { state: 'refused', problem: result };
    } catch (error) {
      // The browser could not read the file (moved, changed or unreadable since it was picked).
      const why = error instanceof Error && error.message ? ` (${error.message})` : '';
      check = {
        state: 'refused',
        problem: { code: 'UNREADABLE', message: `The file could not be read${why}: pick it again.` },
      };
    }
    if (!list.current.some((i) => i.key === item.key)) return; // removed while it was checked
    if (check.state !== 'passed') return change(item.key, { check });
    const upload = new FileUpload(item.file, transport, { pending });
    upload.subscribe(rerender);
    change(item.key, { check, upload });
    await upload.start();
  };

  const add = async (files: File[]) => {
    const problems: string[] = [];
    const named = files.filter((file) => {
      const problem = fileNameProblem(file.name);
      if (problem) problems.push(`${file.name}: the name ${problem}.`);
      return !problem;
    });
    const prints = await Promise.all(named.map((file) => contentFingerprint(file).catch(() => null)));
    const added: PickedFile[] = [];
    named.forEach((file, index) => {
      counter.current += 1;
      const key = `${counter.current}-${file.name}`;
      const contentPrint = prints[index] ?? key;
      const twin = [...list.current, ...added].find((i) => i.contentPrint === contentPrint && !retired(i));
      if (twin) problems.push(duplicateProblem(file.name, twin.file.name));
      else added.push({ key, file, contentPrint, check: { state: 'checking' }, upload: null });
    });
    setRejected(problems);
    list.current = [...list.current, ...added];
    rerender();
    await Promise.all(added.map(checkThenUpload));
  };

  const remove = (key: string) => {
    const item = list.current.find((i) => i.key === key);
    if (item?.upload && item.upload.snapshot.phase !== 'done') void item.upload.cancel();
    list.current = list.current.filter((i) => i.key !== key);
    rerender();
  };

  // The server's check of each uploaded file, asked again while it runs.
  const uploaded = list.current.flatMap((item) => {
    const s = item.upload?.snapshot;
    return s?.phase === 'done' && s.uploadId ? [s.uploadId] : [];
  });
  const checks = useQueries({ queries: uploaded.map((id) => uploadCheckQuery(api, id)) });
  const checkOf = new Map(uploaded.map((id, index) => [id, checks[index]?.data?.check ?? null]));
  const items: UploadItem[] = list.current.map((item) => {
    const s = item.upload?.snapshot;
    const serverCheck = s?.phase === 'done' && s.uploadId ? (checkOf.get(s.uploadId) ?? null) : null;
    return { ...item, serverCheck };
  });

  const rows: FileRow[] = items.map((item) => ({
    key: item.key,
    fileName: item.file.name,
    size: item.file.size,
    check: item.check,
    phase: item.upload?.snapshot.phase ?? null,
    uploadId: item.upload?.snapshot.uploadId ?? null,
    serverCheck: item.serverCheck,
  }));

  // Remembered uploads this page is not uploading now (a row above stands for those it is).
  const active = new Set(
    items.flatMap((i) => (i.upload && i.upload.snapshot.phase !== 'canceled' ? [i.upload.fingerprint] : [])),
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

  return { items, rows, rejected, add, remove, unfinished, abandon, abandonError };
}

export type FileUploadsState = ReturnType<typeof useFileUploads>;
