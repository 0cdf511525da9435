/**
 * What the upload engine needs from the outside: the upload routes of the API (POST /uploads, /parts,
 * /complete, GET /parts for resume) and the browser (XHR with progress, timers, online state). The
 * console implements it in browser-transport.ts; the unit tests with a fake S3.
 */
import type { StoredPart } from './upload-plan';

export interface UploadRecord {
  uploadId: string;
  fileName: string;
  size: number;
  status: 'PENDING' | 'READY';
}

export type CreatedUpload =
  | {
      upload: UploadRecord;
      transfer?: 'single';
      uploadUrl: string;
      method: 'PUT';
      headers: Record<string, string>;
    }
  | {
      upload: UploadRecord;
      transfer: 'multipart';
      multipart: { partSize: number; partCount: number; maxPartsPerRequest: number };
    };

export interface SignedPart {
  partNumber: number;
  url: string;
  headers: Record<string, string>;
}

export interface PutResult {
  /** 0 when the request did not complete (network). */
  status: number;
  etag: string | null;
}

export interface UploadTransport {
  createUpload(body: { fileName: string; size: number }): Promise<CreatedUpload>;
  signParts(uploadId: string, partNumbers: number[]): Promise<{ parts: SignedPart[]; expiresAt: string }>;
  listParts(uploadId: string): Promise<{ parts: StoredPart[] }>;
  complete(
    uploadId: string,
    parts: { partNumber: number; etag: string }[],
  ): Promise<{ upload: UploadRecord; problem?: string }>;
  /** GET /uploads/{id}: confirms a single PUT. */
  confirm(uploadId: string): Promise<{ upload: UploadRecord; problem?: string }>;
  abort(uploadId: string): Promise<void>;
  put(
    url: string,
    headers: Record<string, string>,
    body: Blob,
    onProgress: (loaded: number) => void,
    signal: AbortSignal,
  ): Promise<PutResult>;
  sleep(ms: number, signal: AbortSignal): Promise<void>;
  now(): number;
  isOnline(): boolean;
  /** Resolves when the browser is back online. */
  whenOnline(signal: AbortSignal): Promise<void>;
}
