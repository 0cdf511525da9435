/**
 * What the Cloudgene client hands its callers and takes from them: token verification, a submission,
 * a job with its steps and result files, a job-list entry, a result download. Plain data, no behaviour;
 * client.ts re-exports them.
 */
import type { ByteSource } from './multipart';

export type TokenVerification =
  | { valid: true; username: string; name?: string; mail?: string; expiresAt: Date | null; message: string }
  | { valid: false; message: string };

export interface SubmitFile {
  /** File name as the service shows it (e.g. `chr20.vcf.gz`). */
  name: string;
  /** Byte length; when every file has one, the request gets an exact Content-Length instead of chunks. */
  size?: number;
  /**
   * Opens the bytes when the upload reaches this file: once per attempt (a submission refused for a token
   * that was replaced meanwhile is sent again with the new one).
   */
  stream: () => ByteSource | Promise<ByteSource>;
}

export interface SubmitJobRequest {
  jobName: string;
  refPanel: string;
  build: string;
  phasing: string;
  population: string;
  mode: string;
  r2Filter: string;
  /** Always set: otherwise the service invents one and e-mails it. */
  password: string;
  aesEncryption?: boolean;
  meta?: boolean;
  files: SubmitFile[];
}

export interface CloudgeneLogMessage {
  message: string;
  /** 0 ok, 1 error, 2 warning, 3 running. */
  type: number;
  time?: number;
}

export interface CloudgeneResultFile {
  name: string;
  hash: string;
  /** Human-readable ("314 MB"); the real length is the download's Content-Length. */
  size?: string | number;
  path?: string | null;
}

export interface CloudgeneJob {
  id: string;
  name?: string | null;
  /** Cloudgene state code: -1 dead, 1 queued, 2 running, 3 exporting, 4 success, 5 failed, 6 canceled, 7 retired, 8 success (retirement notice sent), 9 failed (notice), 10 deleted. */
  state: number;
  positionInQueue?: number;
  submittedOn?: number;
  startTime?: number;
  endTime?: number;
  steps: { name: string; logMessages: CloudgeneLogMessage[] }[];
  outputParams: {
    name: string;
    /** Cloudgene 3 may send these flags; when it does not, the parameter name is all we know. */
    adminOnly?: boolean;
    download?: boolean;
    files: CloudgeneResultFile[];
  }[];
}

/** One entry of the user's job list (`GET /api/v2/jobs`, newest first). */
export interface CloudgeneJobSummary {
  id: string;
  name?: string | null;
  state?: number;
}

export interface ResultDownload {
  /** Not yet read; reading errors (a cut or stalled connection) surface as ServiceUnavailableError. */
  body: ReadableStream<Uint8Array>;
  /**
   * The same bytes as an async iterator, without a second web stream in between (a copy of many GB is
   * CPU-bound: every stream layer per chunk counts). Use either this or `body`, once.
   */
  chunks(): AsyncGenerator<Uint8Array>;
  contentLength: number | null;
  contentType: string | null;
}
