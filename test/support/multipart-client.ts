/**
 * The upload handlers as a client of the API drives them, for the multipart tests: announce, sign parts,
 * PUT them through the presigned URLs with fetch, list, complete, abandon — each call through the real
 * middy stack, each PUT straight to the local S3.
 */
import { handler as completeUpload } from '#functions/api/uploads/complete-upload';
import { handler as createUpload } from '#functions/api/uploads/create-upload';
import { handler as deleteUpload } from '#functions/api/uploads/delete-upload';
import { handler as getUpload } from '#functions/api/uploads/get-upload';
import { handler as listUploadParts } from '#functions/api/uploads/list-upload-parts';
import { handler as listUploads } from '#functions/api/uploads/list-uploads';
import { handler as signUploadParts } from '#functions/api/uploads/sign-upload-parts';
import type { Caller } from '#shared/auth/caller';
import { invoke } from './api-event';

export const uploadsApi = (caller: Caller) => {
  const at = (uploadId: string) => ({ caller, pathParameters: { uploadId } });
  return {
    announce: (body: unknown) => invoke(createUpload, { method: 'POST', caller, body }),
    get: (uploadId: string) => invoke(getUpload, at(uploadId)),
    list: (query?: Record<string, string>) => invoke(listUploads, { caller, query }),
    sign: (uploadId: string, body: unknown) =>
      invoke(signUploadParts, { method: 'POST', ...at(uploadId), body }),
    parts: (uploadId: string) => invoke(listUploadParts, at(uploadId)),
    complete: (uploadId: string, body: unknown) =>
      invoke(completeUpload, { method: 'POST', ...at(uploadId), body }),
    abandon: (uploadId: string) => invoke(deleteUpload, { method: 'DELETE', ...at(uploadId) }),
  };
};

/** PUTs the bytes of a part, as a signed part of POST …/parts describes it: its URL with its headers. */
export async function putPart(
  signed: { url: string; headers: Record<string, string> },
  file: Buffer,
  range: { offset: number; length: number },
) {
  const response = await fetch(signed.url, {
    method: 'PUT',
    body: file.subarray(range.offset, range.offset + range.length),
    headers: signed.headers,
  });
  return { status: response.status, etag: response.headers.get('etag'), text: await response.text() };
}
