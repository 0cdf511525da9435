/**
 * The arithmetic of bench/watcher-load.ts, apart from the measuring: how many polls a job gets per day
 * under the deployed backoff when the watcher runs once a minute, how many of those polls read the
 * owner's token from Secrets Manager past the vault's 5-minute cache, what an item costs in DynamoDB
 * request units, and the prices. Pure functions; every input that is measured comes from the bench.
 */

/** us-east-1 on-demand list prices (2024), USD. */
export const PRICES = {
  /** DynamoDB on-demand, per write request unit (1 KB) and read request unit (4 KB strongly consistent). */
  wru: 0.625 / 1e6,
  rru: 0.125 / 1e6,
  /** Lambda, per GB-second (x86; the stack deploys arm64 at $0.0000133334) and per request. */
  lambdaGbSecond: 0.0000166667,
  lambdaGbSecondArm: 0.0000133334,
  lambdaRequest: 0.2 / 1e6,
  /** Secrets Manager API calls; each GetSecretValue of a secret under a customer key also decrypts in KMS. */
  secretsCall: 0.05 / 10_000,
  kmsRequest: 0.03 / 10_000,
  /** CloudWatch Logs ingestion (standard class), per byte; the EMF metric lines are logs. */
  logsByte: 0.5 / 1e9,
  /** X-Ray, per trace recorded (the functions trace actively; one trace per invocation). */
  xrayTrace: 5 / 1e6,
  /** Step Functions Standard, per state transition (the design the watcher replaces). */
  sfnTransition: 0.025 / 1000,
} as const;

export const POLICY = { initialSeconds: 30, maxSeconds: 900, runEverySeconds: 60 } as const;
/** The vault's cache (shared/credentials/token-vault.ts TOKEN_CACHE_MAX_AGE_SECONDS). */
export const TOKEN_CACHE_SECONDS = 300;
const DAY = 86_400;

/** A small deterministic PRNG (mulberry32), so the modelled figures do not move between runs. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/**
 * The moments (seconds into the measured day) a job is polled: the watcher runs every minute and polls
 * what is due; after a poll the next one is due 30 s later if the service's answer changed, else after
 * twice the last wait, at most 900 s (shared/workflow/backoff.ts). So a wait is served at the first run
 * at or after it: 30 s → 60 s, 900 s → 900 s. Runs are taken as exactly a minute apart (a late run
 * only makes polls rarer). `changesPerDay` evenly spaced changes at the service (Infinity: every poll
 * sees one, e.g. a moving queue position or live progress text). Simulated over three days; the middle
 * day is returned, so the job is in its steady state.
 */
export function pollTimes(changesPerDay: number, phase = 0): number[] {
  const every = changesPerDay === Number.POSITIVE_INFINITY;
  const changes =
    every || changesPerDay <= 0
      ? []
      : Array.from({ length: Math.ceil(3 * changesPerDay) }, (_, i) => (i + phase) * (DAY / changesPerDay));
  const times: number[] = [];
  let nextAt = Math.floor(phase * POLICY.maxSeconds);
  let base: number | undefined;
  let last = Number.NEGATIVE_INFINITY;
  let c = 0;
  for (let t = 0; t < 3 * DAY; t += POLICY.runEverySeconds) {
    if (t < nextAt) continue;
    let changed = every;
    while (c < changes.length && changes[c]! <= t) {
      if (changes[c]! > last) changed = true;
      c++;
    }
    base = changed || base === undefined ? POLICY.initialSeconds : Math.min(POLICY.maxSeconds, base * 2);
    nextAt = t + base;
    last = t;
    if (t >= DAY && t < 2 * DAY) times.push(t - DAY);
  }
  return times;
}

/**
 * GetSecretValue calls per poll in the steady state, for owners with `jobsPerOwner` in-flight jobs each:
 * a poll reads the token when the cached copy is 5 minutes old or more (the watcher is one warm Lambda,
 * so the cache outlives a run). Jobs of one owner have random phases; averaged over 200 owners.
 */
export function tokenReadsPerPoll(jobsPerOwner: number, changesPerDay: number): number {
  const random = prng(jobsPerOwner * 7919 + Math.round(Math.min(changesPerDay, 1e6)));
  let reads = 0;
  let polls = 0;
  for (let owner = 0; owner < 200; owner++) {
    const times = Array.from({ length: jobsPerOwner }, () => pollTimes(changesPerDay, random()))
      .flat()
      .sort((a, b) => a - b);
    let fetched = Number.NEGATIVE_INFINITY;
    for (const t of times) {
      polls++;
      if (t - fetched >= TOKEN_CACHE_SECONDS) {
        reads++;
        fetched = t;
      }
    }
  }
  return reads / polls;
}

/**
 * An item's size as DynamoDB bills it, from the item as the document client writes it (strings as S,
 * numbers as N, arrays as L, objects as M, undefined removed): attribute names and values in UTF-8
 * bytes, a number about one byte per two significant digits plus one, 3 bytes per list or map and one
 * per element (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/CapacityUnitCalculations.html).
 */
export function itemBytes(item: Record<string, unknown>): number {
  let bytes = 0;
  for (const [name, value] of Object.entries(item)) {
    if (value === undefined) continue;
    bytes += Buffer.byteLength(name) + valueBytes(value);
  }
  return bytes;
}

function valueBytes(value: unknown): number {
  if (typeof value === 'string') return Buffer.byteLength(value);
  if (typeof value === 'number') {
    const digits = String(Math.abs(value))
      .replace(/e.*$/, '')
      .replace('.', '')
      .replace(/^0+|0+$/g, '');
    return Math.ceil(Math.max(1, digits.length) / 2) + 1;
  }
  if (typeof value === 'boolean' || value === null) return 1;
  if (Array.isArray(value)) {
    return 3 + value.filter((v) => v !== undefined).reduce<number>((sum, v) => sum + 1 + valueBytes(v), 0);
  }
  if (typeof value === 'object') {
    let bytes = 3;
    for (const [name, v] of Object.entries(value as Record<string, unknown>)) {
      if (v === undefined) continue;
      bytes += 1 + Buffer.byteLength(name) + valueBytes(v);
    }
    return bytes;
  }
  throw new Error(`no DynamoDB size for ${typeof value}`);
}

/**
 * Request units of the watcher's writes and reads of a job item of `bytes` (its size after the poll,
 * which is the larger). An UpdateItem is billed on the whole item, not the attributes it changes, plus
 * one write per index that holds the item: GSI1 (status index, projection ALL: the whole item again,
 * its keys unchanged) and GSI2 (the keys-only watch index, whose sort key `nextAt#jobId` moves on every
 * poll: a delete and a put of a small entry). A GetItem is strongly consistent (ItemStore.get).
 */
export function jobItemUnits(bytes: number, gsi2EntryBytes: number) {
  const table = Math.ceil(bytes / 1024);
  const gsi1 = Math.ceil(bytes / 1024);
  const gsi2 = 2 * Math.ceil(gsi2EntryBytes / 1024);
  return { table, gsi1, gsi2, wru: table + gsi1 + gsi2, rru: Math.ceil(bytes / 4096) };
}

export const percentile = (values: readonly number[], q: number): number => {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
};
