/**
 * The upload engine's transport in the browser: the upload routes through the typed, authenticated client,
 * part PUTs with XMLHttpRequest (fetch reports no upload progress), the ETag read from S3's answer (the
 * bucket's CORS exposes it), and the browser's online/offline events.
 */
import { type Api, unwrap } from '../api/client';
import type { UploadTransport } from './upload-transport';

export function browserTransport(api: Api): UploadTransport {
  const { client } = api;
  const at = (uploadId: string) => ({ params: { path: { uploadId } } });
  return {
    createUpload: (body) => unwrap(client.POST('/uploads', { body })),
    signParts: (uploadId, partNumbers) =>
      unwrap(client.POST('/uploads/{uploadId}/parts', { ...at(uploadId), body: { partNumbers } })),
    listParts: (uploadId) => unwrap(client.GET('/uploads/{uploadId}/parts', at(uploadId))),
    complete: (uploadId, parts) =>
      unwrap(client.POST('/uploads/{uploadId}/complete', { ...at(uploadId), body: { parts } })),
    confirm: (uploadId) => unwrap(client.GET('/uploads/{uploadId}', at(uploadId))),
    abort: async (uploadId) => {
      await unwrap(client.DELETE('/uploads/{uploadId}', at(uploadId)));
    },
    put: (url, headers, body, onProgress, signal) =>
      new Promise((resolve) => {
        // An already aborted signal fires no 'abort' event any more: nothing is sent.
        if (signal.aborted) return resolve({ status: 0, etag: null });
        const xhr = new XMLHttpRequest();
        xhr.open('PUT', url);
        for (const [name, value] of Object.entries(headers)) {
          // The browser sets these itself and refuses them from scripts.
          if (!/^(content-length|host)$/i.test(name)) xhr.setRequestHeader(name, value);
        }
        xhr.upload.onprogress = (event) => onProgress(event.loaded);
        xhr.onload = () => resolve({ status: xhr.status, etag: xhr.getResponseHeader('ETag') });
        xhr.onerror = () => resolve({ status: 0, etag: null });
        xhr.ontimeout = () => resolve({ status: 0, etag: null });
        xhr.onabort = () => resolve({ status: 0, etag: null });
        signal.addEventListener('abort', () => xhr.abort(), { once: true });
        xhr.send(body);
      }),
    sleep: (ms, signal) =>
      new Promise((resolve, reject) => {
        if (signal.aborted) return reject(new Error('Canceled.'));
        const timer = setTimeout(resolve, ms);
        signal.addEventListener(
          'abort',
          () => {
            clearTimeout(timer);
            reject(new Error('Canceled.'));
          },
          { once: true },
        );
      }),
    now: () => Date.now(),
    isOnline: () => navigator.onLine,
    whenOnline: (signal) =>
      new Promise((resolve, reject) => {
        if (navigator.onLine) return resolve();
        if (signal.aborted) return reject(new Error('Canceled.'));
        const done = () => {
          window.removeEventListener('online', done);
          resolve();
        };
        window.addEventListener('online', done);
        signal.addEventListener('abort', () => reject(new Error('Canceled.')), { once: true });
      }),
  };
}
