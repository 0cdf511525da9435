/**
 * Where a request chosen by a service may go: a redirect target (a download's presigned URL) is another
 * party's choice, so it is held to rules the service's own configured address is not. It must be `https`
 * and resolve only to public addresses — never to our own network, the Lambda's metadata endpoint
 * (169.254.169.254), loopback, link-local, CGNAT, multicast or any other special-purpose range, IPv4 and
 * IPv6 alike (IPv4-mapped and NAT64 addresses are judged by the IPv4 address they carry).
 *
 * The check happens where the connection is made: the agent's DNS `lookup` refuses a host name that
 * resolves to a forbidden address, so the address checked is the address connected to (no second
 * resolution between check and use). An address written in the URL itself is never looked up, so it is
 * checked before the request. The local stack and the tests serve everything from 127.0.0.1 over plain
 * http: `allowLoopback` (OUTBOUND_ALLOW_LOOPBACK) lets exactly that through, and is off in AWS.
 */
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { BlockList, isIP, type LookupFunction } from 'node:net';
import { RedirectRefusedError } from './errors';

export interface OutboundPolicy {
  /** Plain http and loopback addresses (127.0.0.0/8, ::1) allowed: the local stack and tests only. */
  allowLoopback: boolean;
  /** Resolves host names; `dns.lookup` unless a test fakes the DNS. */
  resolve?: typeof dnsLookup;
}

/** Redirects a download follows at most (S3's presigned URL is one). */
export const MAX_REDIRECTS = 5;

const forbiddenV4: [string, number][] = [
  ['0.0.0.0', 8], // "this network"
  ['10.0.0.0', 8], // private
  ['100.64.0.0', 10], // CGNAT (shared address space)
  ['127.0.0.0', 8], // loopback
  ['169.254.0.0', 16], // link-local, the metadata endpoints included
  ['172.16.0.0', 12], // private
  ['192.0.0.0', 24], // IETF protocol assignments
  ['192.0.2.0', 24], // documentation
  ['192.31.196.0', 24], // AS112
  ['192.52.193.0', 24], // AMT
  ['192.88.99.0', 24], // 6to4 relay anycast
  ['192.168.0.0', 16], // private
  ['192.175.48.0', 24], // AS112
  ['198.18.0.0', 15], // benchmarking
  ['198.51.100.0', 24], // documentation
  ['203.0.113.0', 24], // documentation
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved, broadcast
];
/** Inside 2000::/3, the only global unicast IPv6 space, the special-purpose blocks. */
const forbiddenV6: [string, number][] = [
  ['2001::', 23], // IETF protocol assignments (Teredo, ORCHID, benchmarking, …)
  ['2001:db8::', 32], // documentation
  ['2002::', 16], // 6to4
  ['3fff::', 20], // documentation
];

const blocked = new BlockList();
for (const [network, prefix] of forbiddenV4) blocked.addSubnet(network, prefix, 'ipv4');
for (const [network, prefix] of forbiddenV6) blocked.addSubnet(network, prefix, 'ipv6');
const loopback = new BlockList();
loopback.addSubnet('127.0.0.0', 8, 'ipv4');
loopback.addAddress('::1', 'ipv6');

/** The eight 16-bit groups of an IPv6 address (`::` expanded, a dotted IPv4 tail read). */
function ipv6Groups(address: string): number[] {
  let text = address.toLowerCase().replace(/%.*$/, '');
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted) {
    const [a, b, c, d] = dotted[1]!.split('.').map(Number) as [number, number, number, number];
    text = `${text.slice(0, -dotted[1]!.length)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.includes('::') ? text.split('::') : [text, undefined];
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const fill = tail === undefined ? [] : Array(8 - left.length - right.length).fill('0');
  return [...left, ...fill, ...right].map((group) => Number.parseInt(group || '0', 16));
}

/** The IPv4 address an IPv6 address carries (IPv4-mapped, IPv4-compatible, NAT64), if it carries one. */
function embeddedIpv4(groups: number[]): string | undefined {
  const v4 = () => `${groups[6]! >> 8}.${groups[6]! & 255}.${groups[7]! >> 8}.${groups[7]! & 255}`;
  const zeros = (from: number, to: number) => groups.slice(from, to).every((g) => g === 0);
  if (zeros(0, 5) && groups[5] === 0xffff) return v4(); // ::ffff:a.b.c.d
  if (zeros(0, 6) && (groups[6]! !== 0 || groups[7]! > 1)) return v4(); // ::a.b.c.d (deprecated)
  if (groups[0] === 0x64 && groups[1] === 0xff9b && zeros(2, 6)) return v4(); // 64:ff9b::/96
  return undefined;
}

/**
 * Why a request may not connect to `address` (an IP address), or undefined when it may: a public
 * unicast address, or loopback when the policy allows it.
 */
export function addressRefusal(address: string, allowLoopback: boolean): string | undefined {
  let ip = address;
  let family = isIP(ip);
  if (family === 6) {
    const groups = ipv6Groups(ip);
    const v4 = embeddedIpv4(groups);
    if (v4) {
      ip = v4;
      family = 4;
    } else if (allowLoopback && loopback.check(ip, 'ipv6')) {
      return undefined;
    } else if ((groups[0]! & 0xe000) !== 0x2000 || blocked.check(ip, 'ipv6')) {
      // Outside 2000::/3: loopback, unspecified, unique-local, link-local, multicast, reserved.
      return `${address} is not a public address`;
    } else {
      return undefined;
    }
  }
  if (family !== 4) return `${address} is not an IP address`;
  if (allowLoopback && loopback.check(ip, 'ipv4')) return undefined;
  if (blocked.check(ip, 'ipv4')) return `${address} is not a public address`;
  return undefined;
}

/** Why a request may not go to `url` before any lookup (scheme, credentials, a literal address). */
export function urlRefusal(url: URL, policy: OutboundPolicy): string | undefined {
  if (url.protocol !== 'https:' && !(policy.allowLoopback && url.protocol === 'http:')) {
    return `${url.protocol.replace(/:$/, '')} is not allowed (https only)`;
  }
  if (url.username || url.password) return 'a URL with credentials is not followed';
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  if (isIP(host)) return addressRefusal(host, policy.allowLoopback);
  return undefined;
}

/** The URL as it may be said in a message: scheme, host and path, never the query (a signature). */
export function describeUrl(url: URL): string {
  return `${url.protocol}//${url.host}${url.pathname}`;
}

/**
 * A DNS lookup that refuses a host any of whose addresses is forbidden: the connection is made to one
 * of the addresses checked here (net calls it at connect time), so what was checked is what is used.
 */
export function guardedLookup(policy: OutboundPolicy): LookupFunction {
  const resolve = policy.resolve ?? dnsLookup;
  return (hostname, options, callback) => {
    resolve(hostname, { ...options, all: true }, (error, found) => {
      if (error) return callback(error, '', 0);
      const addresses = (Array.isArray(found) ? found : [{ address: found, family: 4 }]) as LookupAddress[];
      const refused = addresses
        .map((entry) => addressRefusal(entry.address, policy.allowLoopback))
        .find((reason) => reason !== undefined);
      if (refused || addresses.length === 0) {
        const refusal = new RedirectRefusedError(
          `${hostname} resolves to a forbidden address (${refused ?? 'no address'})`,
        );
        return callback(refusal as NodeJS.ErrnoException, '', 0);
      }
      if (options.all) return (callback as (e: null, a: LookupAddress[]) => void)(null, addresses);
      const first = addresses[0]!;
      callback(null, first.address, first.family);
    });
  };
}

const agents = new Map<string, { http: HttpAgent; https: HttpsAgent }>();

/** Keep-alive agents whose every connection went through the guarded lookup (none shared with others). */
function agentsFor(policy: OutboundPolicy) {
  const key = String(policy.allowLoopback);
  if (policy.resolve) {
    const lookup = guardedLookup(policy);
    return { http: new HttpAgent({ lookup }), https: new HttpsAgent({ lookup }) };
  }
  let pair = agents.get(key);
  if (!pair) {
    const lookup = guardedLookup(policy);
    pair = {
      http: new HttpAgent({ keepAlive: true, lookup }),
      https: new HttpsAgent({ keepAlive: true, lookup }),
    };
    agents.set(key, pair);
  }
  return pair;
}

const NULL_BODY = new Set([101, 103, 204, 205, 304]);

/**
 * The response as a web stream, read on demand: one chunk per pull from Node's own async iterator (no
 * read-ahead, and cheaper per chunk than `Readable.toWeb`, which a multi-GB copy feels).
 */
function webBody(response: IncomingMessage): ReadableStream<Uint8Array> {
  const chunks = response[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        const { done, value } = await chunks.next();
        if (done) controller.close();
        else controller.enqueue(value);
      },
      cancel() {
        response.destroy();
      },
    },
    { highWaterMark: 0 },
  );
}

/**
 * A `fetch` for requests a service chose: node:http(s) through the guarded agents, one request, never
 * following a redirect (the caller decides, hop by hop). No bodies are sent (downloads are GETs), and
 * the response body is the raw bytes (no content decoding: a result file is copied as it is stored).
 */
export function guardedFetch(policy: OutboundPolicy): typeof fetch {
  const pair = agentsFor(policy);
  return (async (input: string | URL | Request, init: RequestInit = {}) => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    const refused = urlRefusal(url, policy);
    if (refused) throw new RedirectRefusedError(`${describeUrl(url)}: ${refused}`);
    const headers: Record<string, string> = {};
    new Headers(init.headers).forEach((value, name) => {
      headers[name] = value;
    });
    const https = url.protocol === 'https:';
    return new Promise<Response>((resolve, reject) => {
      const request = (https ? httpsRequest : httpRequest)(
        url,
        {
          method: init.method ?? 'GET',
          headers,
          agent: https ? pair.https : pair.http,
          signal: init.signal ?? undefined,
        },
        (response: IncomingMessage) => {
          const status = response.statusCode ?? 0;
          const answered = new Headers();
          for (const [name, value] of Object.entries(response.headers)) {
            if (value === undefined) continue;
            for (const one of Array.isArray(value) ? value : [value]) answered.append(name, one);
          }
          const body = NULL_BODY.has(status) || init.method === 'HEAD' ? null : webBody(response);
          if (body === null) response.resume();
          try {
            resolve(new Response(body, { status, headers: answered }));
          } catch (error) {
            response.destroy();
            reject(error);
          }
        },
      );
      request.on('error', reject);
      request.end();
    });
  }) as typeof fetch;
}
