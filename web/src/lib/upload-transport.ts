/**
 * What the upload engine needs from the outside: the upload routes of the API (POST /uploads, /parts,
 * /complete, GET /uploads/{id} and /parts, DELETE) and the browser (XHR with progress, timers, online
 * state). The console implements it in browser-transport.ts; the unit tests with a fake S3.
 * Every API shape here is the generated contract (schema.d.ts, `npm run api:types`), never written by
 * hand: a change of the routes breaks the console's build instead of its uploads.
 */
import type { Schemas } from '../api/client';
import type { operations } from '../api/schema';

type JsonBody<O extends keyof operations> = operations[O] extends {
  requestBody: { content: { 'application/json': infer B } };
}
  ? B
  : never;

/** An announced upload (POST /uploads, GET /uploads). */
export type UploadRecord = Schemas['Upload'];
/** GET /uploads/{id}: the upload confirmed against S3, flat, with `problem` when the object is unusable. */
export type CheckedUpload = Schemas['CheckedUpload'];
export type CreatedUpload = Schemas['CreatedUpload'];
export type SingleUpload = Schemas['SinglePutUpload'];
export type MultipartUpload = Schemas['MultipartUpload'];
export type MultipartPlan = MultipartUpload['multipart'];
export type SignedParts = Schemas['SignedParts'];
export type SignedPart = SignedParts['parts'][number];
/** A part GET …/parts lists; the complete request takes it as it is. */
export type StoredPart = Schemas['StoredParts']['parts'][number];
export type CompletedUpload = Schemas['CompletedUpload'];
export type CreateUploadBody = JsonBody<'createUpload'>;
export type CompletePart = JsonBody<'completeUpload'>['parts'][number];

export interface PutResult {
  /** 0 when the request did not complete (network). */
  status: number;
  etag: string | null;
}

export interface UploadTransport {
  createUpload(body: CreateUploadBody): Promise<CreatedUpload>;
  signParts(uploadId: string, partNumbers: number[]): Promise<SignedParts>;
  listParts(uploadId: string): Promise<Schemas['StoredParts']>;
  complete(uploadId: string, parts: CompletePart[]): Promise<CompletedUpload>;
  /** GET /uploads/{id}: confirms a single PUT, and tells whether a multipart upload is still PENDING. */
  confirm(uploadId: string): Promise<CheckedUpload>;
  /** DELETE /uploads/{id}: abandons a pending upload (S3 discards its parts). */
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
