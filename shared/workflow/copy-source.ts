/**
 * The result copy's side of the service: one GET of a result file, whole or from a byte on, at the
 * service's share URL or again at the presigned URL a share URL redirected to (TOPMed's S3), with the
 * Cloudgene client's transport (typed failures, idle timeouts that also watch the body).
 *
 * What upstream does with a range (checked against the Cloudgene 3 source): the share route
 * (`/share/results/{hash}/{name}`) counts one of the file's downloads for every request, ranged or not,
 * and then either answers the file as an InputStream (local workspace: Micronaut sends it whole, 200,
 * whatever the `Range`) or redirects to an S3 presigned GET valid for an hour (S3 workspace), which
 * honours `Range` with 206 and counts nothing. So a range saves bytes wherever the file is on S3, and
 * only a second GET of the presigned URL itself saves a download.
 */
import { CloudgeneProtocolError } from '#shared/cloudgene/errors';
import { guardedFetch, type OutboundPolicy } from '#shared/cloudgene/outbound';
import { type Followed, Transport, watchChunks } from '#shared/cloudgene/transport';
import { settings } from '#shared/settings';

/** Bytes `start` to `end` (inclusive; null: to the end of the file). */
export interface ByteSpan {
  start: number;
  end: number | null;
}

/** A presigned URL the share route redirected to, and when it stops working (null: not said). */
export interface PresignedSource {
  url: string;
  expiresAt: string | null;
}

export interface OpenedSource {
  /** The answer carries `span` of the file (206); false: the whole file from its first byte (200). */
  partial: boolean;
  /** The file's first byte in the body: 0 for a whole file. */
  start: number;
  /** The whole file's length, when the answer says it (a 200's Content-Length, a 206's Content-Range). */
  total: number | null;
  /** Bytes in this body, when announced. */
  length: number | null;
  contentType: string | null;
  /** The file's entity tag, when the answer has one (S3 sends it): a resumed body must carry the same. */
  etag: string | null;
  /** Set when the share route redirected: the URL to ask again without spending a download. */
  redirectedTo: PresignedSource | null;
  chunks(): AsyncGenerator<Uint8Array>;
  /** Lets the connection go unread (an answer the copy cannot use). */
  discard(): Promise<void>;
}

/** A whole-file download of this long may take its time; the idle timeout still ends a stalled one. */
const DOWNLOAD_IDLE_MS = 10 * 60_000;

/** The share URL path of a listed file (the hash is the access key: no token is sent). */
export function sharePath(file: { hash: string; name: string }): string {
  return `/share/results/${encodeURIComponent(file.hash)}/${file.name.split('/').map(encodeURIComponent).join('/')}`;
}

/**
 * GETs the file at `baseUrl` + `path` (or at an absolute presigned `url`), asking for `span` when given.
 * Throws the transport's typed failures (a refusal, a 5xx, no answer); a 206 that does not say which
 * bytes it carries is a protocol error.
 */
export async function openSource(
  target: { baseUrl: string; path: string } | { url: string },
  name: string,
  span?: ByteSpan,
  options: { timeoutMs?: number; fetch?: typeof fetch; outbound?: OutboundPolicy } = {},
): Promise<OpenedSource> {
  const baseUrl = 'url' in target ? new URL(target.url).origin : target.baseUrl;
  const outbound = options.outbound ?? outboundPolicy();
  const transport = new Transport({
    baseUrl,
    timeoutMs: options.timeoutMs ?? DOWNLOAD_IDLE_MS,
    outbound,
    fetch: downloadFetch.wrap(options.fetch ?? globalThis.fetch),
    hopFetch: downloadFetch.wrap(guardedFetch(outbound)),
  });
  const idle = transport.idleTimeout();
  const headers: Record<string, string> = { Accept: '*/*' };
  if (span) headers.Range = `bytes=${span.start}-${span.end ?? ''}`;
  let response: Response;
  let followed: Followed;
  try {
    followed = await transport.follow(
      'url' in target ? { url: target.url } : { path: target.path },
      { download: name, headers },
      idle,
    );
    response = followed.response;
  } catch (error) {
    idle.stop();
    throw error;
  }
  const body = response.body;
  const discard = async () => {
    idle.stop();
    await body?.cancel().catch(() => undefined);
  };
  const fail = async (message: string): Promise<never> => {
    await discard();
    throw new CloudgeneProtocolError(message, { serviceStatus: response.status });
  };
  if (!body) return fail(`The download of ${name} has no body`);
  if (response.status !== 200 && response.status !== 206) {
    return fail(`The download of ${name} answered ${response.status}`);
  }
  const length = announcedNumber(response.headers.get('content-length'));
  let partial = false;
  let start = 0;
  let total = length;
  if (response.status === 206) {
    const range = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(response.headers.get('content-range')?.trim() ?? '');
    if (!span || !range) return fail(`The download of ${name} answered 206 without a usable Content-Range`);
    partial = true;
    start = Number(range[1]);
    total = range[3] === '*' ? null : Number(range[3]);
  }
  idle.hold();
  return {
    partial,
    start,
    total,
    length,
    contentType: response.headers.get('content-type'),
    etag: response.headers.get('etag'),
    redirectedTo: followed.hops > 0 ? presigned(followed.url) : null,
    chunks: () => watchChunks(body, idle, name),
    discard,
  };
}

/**
 * Wraps the fetch of every request of a download, the first and each redirect hop: the identity, except
 * in a test that watches what is read (never to loosen the rules: the hops keep the guarded agents).
 */
export const downloadFetch = { wrap: (fetchImpl: typeof fetch): typeof fetch => fetchImpl };

/** This deployment's rules for a download's redirects (OUTBOUND_ALLOW_LOOPBACK: the local stack and tests). */
export function outboundPolicy(): OutboundPolicy {
  return { allowLoopback: settings.outbound().OUTBOUND_ALLOW_LOOPBACK };
}

function announcedNumber(value: string | null): number | null {
  return value !== null && /^\d+$/.test(value) ? Number(value) : null;
}

/**
 * The redirect target with its expiry, when the URL says it: SigV4's `X-Amz-Date` + `X-Amz-Expires`, or
 * SigV2's `Expires` (epoch seconds).
 */
export function presigned(url: string): PresignedSource {
  const query = new URL(url).searchParams;
  const date = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(query.get('X-Amz-Date') ?? '');
  const seconds = query.get('X-Amz-Expires');
  let expiresAt: number | null = null;
  if (date && seconds && /^\d+$/.test(seconds)) {
    const [, y, mo, d, h, mi, s] = date.map(Number) as number[];
    expiresAt = Date.UTC(y!, mo! - 1, d!, h!, mi!, s!) + Number(seconds) * 1000;
  } else if (/^\d+$/.test(query.get('Expires') ?? '')) {
    expiresAt = Number(query.get('Expires')) * 1000;
  }
  return { url, expiresAt: expiresAt === null ? null : new Date(expiresAt).toISOString() };
}
