/**
 * Tokens through their whole life: a job whose owner's token stops working before it is submitted waits
 * for a new one (WAITING_FOR_TOKEN) instead of failing, and goes on by itself once one is stored; and the
 * watcher's daily verification marks a token the service no longer accepts, and schedules the next one
 * for a token it still accepts. Real ASL and handlers, the real watcher, emulators and the simulator.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getService } from '#shared/catalog/service-catalog';
import { credentialStore, VERIFY_EVERY_MS } from '#shared/credentials/credential-store';
import { listServiceCredentials, saveServiceToken } from '#shared/credentials/service-credentials';
import { verifyTokens } from '#shared/health/verify-tokens';
import { JobStatus } from '#shared/jobs/job-status';
import { toJobView } from '#shared/jobs/job-view';
import { startWorkflowHarness, type WorkflowHarness } from './harness';

let h: WorkflowHarness;
beforeAll(async () => {
  h = await startWorkflowHarness();
});
afterAll(() => h?.close());

describe('a job whose token stops working before submission', () => {
  it('waits (WAITING_FOR_TOKEN, since when, why), and is submitted by the watcher once a new token is stored', async () => {
    const kim = await h.userWithToken('kim');
    h.sim.setOtherActiveJobs(kim.serviceUser, 2);
    const jobId = await h.createJob(kim);
    await h.waitForStatus(kim, jobId, [JobStatus.WAITING_FOR_SLOT]);
    // While it waits for a slot, the token is revoked at the service; then the slots free up.
    h.sim.revokeToken(kim.serviceUser);
    h.sim.setOtherActiveJobs(kim.serviceUser, 0);
    const waiting = await h.waitForStatus(kim, jobId, [JobStatus.WAITING_FOR_TOKEN]);
    expect(toJobView(waiting).waiting).toEqual({ for: 'TOKEN', since: expect.any(String) });
    expect(waiting.events.at(-1)?.detail).toMatch(/refused your API token .* once you store a new one/);
    expect(waiting.error).toBeUndefined();
    // Nothing reached the service, and the credential says why.
    expect(h.sim.submissionsOf(kim.serviceUser)).toHaveLength(0);
    expect((await listServiceCredentials(kim))[0]).toMatchObject({ status: 'rejected' });
    // A few runs later it still waits: no new token, no attempt.
    for (let run = 0; run < 3; run++) await h.watcher.runNow();
    expect((await h.job(kim, jobId)).status).toBe(JobStatus.WAITING_FOR_TOKEN);

    await saveServiceToken(kim, getService('michigan'), h.sim.addUser({ username: kim.serviceUser }));
    await h.sfn.waitForJob(jobId);
    const job = await h.job(kim, jobId);
    expect(job.status).toBe(JobStatus.SUCCEEDED);
    expect(job.events.map((event) => event.to)).toEqual([
      JobStatus.QUEUED,
      JobStatus.VALIDATING,
      JobStatus.SUBMITTING,
      JobStatus.WAITING_FOR_SLOT,
      JobStatus.WAITING_FOR_TOKEN,
      JobStatus.QUEUED_REMOTE,
      ...job.events.slice(6).map((event) => event.to),
    ]);
    expect(h.sim.submissionsOf(kim.serviceUser)).toHaveLength(1);
  });
});

describe('the daily verification of stored tokens', () => {
  it('marks a token the service no longer accepts, and schedules the next check of one it accepts', async () => {
    const lou = await h.userWithToken('lou');
    const max = await h.userWithToken('max');
    await h.watcher.pause();
    try {
      h.sim.revokeToken(lou.serviceUser);
      const before = await credentialStore().get(max.sub, 'michigan');
      // A day later, both are due: the service is asked about each token, once.
      const tomorrow = new Date(Date.now() + VERIFY_EVERY_MS + 1000);
      const counts = await verifyTokens('michigan', tomorrow, Date.now() + 10_000);
      expect(counts).toMatchObject({ rejected: 1, failed: 0 });
      expect(counts.verified).toBeGreaterThanOrEqual(1);
      expect((await listServiceCredentials(lou))[0]).toMatchObject({ status: 'rejected' });
      expect((await listServiceCredentials(max))[0]).toMatchObject({ status: 'active' });
      expect(await credentialStore().get(max.sub, 'michigan')).toMatchObject({
        verifiedAt: before?.verifiedAt,
      });
      // Not due again until a day after that check; a rejected token is not asked about again.
      const owners = await credentialStore().dueForVerification('michigan', tomorrow, 50);
      expect(owners).not.toContain(max.sub);
      expect(owners).not.toContain(lou.sub);
      const dayAfter = new Date(tomorrow.getTime() + VERIFY_EVERY_MS + 1000);
      const later = await credentialStore().dueForVerification('michigan', dayAfter, 50);
      expect(later).toContain(max.sub);
      expect(later).not.toContain(lou.sub);
    } finally {
      h.watcher.resume();
    }
  });
});
