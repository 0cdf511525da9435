/**
 * The upload engine's transport in the browser: the upload routes through the authenticated API client,
 * part PUTs with XMLHttpRequest (fetch reports no upload progress), the ETag read from S3's answer (the
 * bucket's CORS exposes it), and the browser's online/offline events.
 */
import { type Api, callJson } from '../api/client';
import type { UploadTransport } from './upload-transport';

export function browserTransport(api: Api): UploadTransport {
  const id = encodeURIComponent;
  return {
    createUpload: (body) => callJson(api, 'POST', '/uploads', body),
    signParts: (uploadId, partNumbers) =>
      callJson(api, 'POST', `/uploads/${id(uploadId)}/parts`, { partNumbers }),
    listParts: (uploadId) => callJson(api, 'GET', `/uploads/${id(uploadId)}/parts`),
    complete: (uploadId, parts) => callJson(api, 'POST', `/uploads/${id(uploadId)}/complete`, { parts }),
    confirm: (uploadId) => callJson(api, 'GET', `/uploads/${id(uploadId)}`),
    abort: async (uploadId) => {
      await callJson(api, 'DELETE', `/uploads/${id(uploadId)}`);
    },
    put: (url, headers, body, onProgress, signal) =>
      new Promise((resolve) => {
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
        const done = () => {
          window.removeEventListener('online', done);
          resolve();
        };
        window.addEventListener('online', done);
        signal.addEventListener('abort', () => reject(new Error('Canceled.')), { once: true });
      }),
  };
}
