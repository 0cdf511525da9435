/**
 * What a simulated server remembers: users, every token it ever minted, the jobs (with their result files'
 * download counters), its signing secret, the time `advance()` added, and whether it is in maintenance or
 * down. With a state file (the local stack) every change is written through, atomically, so users and jobs
 * survive a restart — and so does an outage, which lasts until it is cleared, as real ones last days; the
 * secret goes with them because tokens, result hashes and presigned signatures are derived from it.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import type {
  DownSetting,
  MaintenanceSetting,
  SimulatedJob,
  SimulatedResultFile,
  SimulatedUser,
} from './types';

/** A change of the outage switches: a setting turns one on, null off, absent leaves it. */
export type SwitchChange = Partial<Pick<SimulatorState, 'maintenance' | 'down'>>;

/** What `addUser` takes; the server fills in the rest. */
export interface NewUser {
  username: string;
  name?: string;
  mail?: string;
  expire?: Date;
  token?: string;
  admin?: boolean;
}

interface StoredState {
  secret: string;
  clockOffset: number;
  users: (Omit<SimulatedUser, 'expire'> & { expire: string })[];
  tokens: [string, string][];
  jobs: SimulatedJob[];
  /** Absent in state files of older simulators. */
  maintenance?: MaintenanceSetting | null;
  down?: DownSetting | null;
}

export class SimulatorState {
  readonly users = new Map<string, SimulatedUser>();
  readonly jobs: SimulatedJob[] = [];
  /** Cloudgene's maintenance mode (null: off); write through `setSwitches`. */
  maintenance: MaintenanceSetting | null = null;
  /** The outage a proxy answers for (null: up); write through `setSwitches`. */
  down: DownSetting | null = null;
  /** Every token ever minted, to tell a replaced one (403) from an unknown one (401). */
  private readonly tokens = new Map<string, string>();
  private secret = randomBytes(32);
  private clockOffset = 0;
  private readonly clock: () => number;
  private readonly stateFile: string | undefined;

  constructor(clock: () => number, stateFile: string | undefined) {
    this.clock = clock;
    this.stateFile = stateFile;
    if (stateFile && existsSync(stateFile)) this.restore(stateFile);
  }

  /** The simulator's time: the clock plus everything `advance()` added. */
  now(): number {
    return this.clock() + this.clockOffset;
  }

  advance(ms: number): void {
    this.clockOffset += ms;
    this.persist();
  }

  /** Creates the user, or gives an existing one `token` (which replaces the previous one); minted if not given. */
  addUser(user: NewUser & { expire: Date }): string {
    const token = user.token ?? this.mintToken(user.username, user.expire);
    const existing = this.users.get(user.username);
    this.users.set(user.username, {
      username: user.username,
      name: user.name ?? existing?.name ?? user.username,
      mail: user.mail ?? existing?.mail ?? `${user.username}@example.org`,
      token,
      expire: user.expire,
      revoked: false,
      otherActiveJobs: existing?.otherActiveJobs ?? 0,
      admin: user.admin ?? existing?.admin ?? false,
    });
    this.tokens.set(token, user.username);
    this.persist();
    return token;
  }

  user(username: string): SimulatedUser {
    const user = this.users.get(username);
    if (!user) throw new Error(`no simulated user ${username}`);
    return user;
  }

  /** Turns maintenance or the outage on (a setting) or off (null) and writes the change through. */
  setSwitches(change: SwitchChange): void {
    if (change.maintenance !== undefined) this.maintenance = change.maintenance;
    if (change.down !== undefined) this.down = change.down;
    this.persist();
  }

  /** Changes a user and writes the change through. */
  updateUser(username: string, change: (user: SimulatedUser) => void): void {
    change(this.user(username));
    this.persist();
  }

  /** The user of a valid token; `invalid` for missing, unknown or expired (401), `revoked` (403). */
  authenticate(token: string | undefined): SimulatedUser | 'invalid' | 'revoked' {
    const username = token ? this.tokens.get(token) : undefined;
    const user = username ? this.users.get(username) : undefined;
    if (!user) return 'invalid';
    if (user.token !== token) return 'revoked';
    if (user.expire.getTime() <= this.now()) return 'invalid';
    if (user.revoked) return 'revoked';
    return user;
  }

  findJob(id: string): SimulatedJob | undefined {
    return this.jobs.find((j) => j.id === id);
  }

  job(id: string): SimulatedJob {
    const job = this.findJob(id);
    if (!job) throw new Error(`no simulated job ${id}`);
    return job;
  }

  addJob(job: SimulatedJob): void {
    this.jobs.push(job);
    this.persist();
  }

  /** The result file a share or presigned URL names by its hash, with its job. */
  findResult(hash: string): { job: SimulatedJob; file: SimulatedResultFile } | undefined {
    for (const job of this.jobs) {
      const file = job.results.find((r) => r.hash === hash);
      if (file) return { job, file };
    }
    return undefined;
  }

  /** HMAC-SHA256 (hex) under the server's secret: result and output-parameter hashes, presigned signatures. */
  sign(text: string): string {
    return createHmac('sha256', this.secret).update(text).digest('hex');
  }

  /** Writes the state file (atomically) after every change, when there is one. */
  persist(): void {
    if (!this.stateFile) return;
    // Dates go out as ISO strings (JSON.stringify), the shape `restore` reads back.
    const state = {
      secret: this.secret.toString('base64'),
      clockOffset: this.clockOffset,
      users: [...this.users.values()],
      tokens: [...this.tokens.entries()],
      jobs: this.jobs,
      maintenance: this.maintenance,
      down: this.down,
    };
    writeFileSync(`${this.stateFile}.tmp`, JSON.stringify(state));
    renameSync(`${this.stateFile}.tmp`, this.stateFile);
  }

  private restore(file: string): void {
    const state = JSON.parse(readFileSync(file, 'utf8')) as StoredState;
    this.secret = Buffer.from(state.secret, 'base64');
    this.clockOffset = state.clockOffset ?? 0;
    for (const user of state.users) this.users.set(user.username, { ...user, expire: new Date(user.expire) });
    for (const [token, username] of state.tokens) this.tokens.set(token, username);
    this.jobs.push(...state.jobs);
    this.maintenance = state.maintenance ?? null;
    this.down = state.down ?? null;
  }

  /** An HS256 JWT as Cloudgene mints API tokens. */
  private mintToken(username: string, expire: Date): string {
    const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const header = encode({ alg: 'HS256', typ: 'JWT' });
    const payload = encode({
      username,
      api: true,
      exp: Math.floor(expire.getTime() / 1000),
      jti: randomBytes(6).toString('hex'),
    });
    const signature = createHmac('sha256', this.secret).update(`${header}.${payload}`).digest('base64url');
    return `${header}.${payload}.${signature}`;
  }
}
