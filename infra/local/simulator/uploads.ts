/**
 * `POST /api/v2/jobs/submit/{appId}`: the multipart upload, parsed as it streams (file parts are hashed
 * and read as VCFs as they pass, never held, so GB uploads cost no memory), then refused the way the
 * services refuse — 413 above the upload limit, 503 in maintenance, 400 for an unknown field, no files,
 * or the per-user concurrency limit — or accepted as a new job, whose results are made before its id is
 * answered.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { drain } from './answers';
import type { CloudgeneSimulator } from './cloudgene-simulator';
import { appParams } from './fixtures';
import { ACTIVE_STATES, createJob } from './jobs';
import { type ParsedPart, parseMultipart } from './multipart-parser';
import { MAINTENANCE_TEXT, refusedForMaintenance } from './outages';
import type { ReceivedSubmission, SimulatedUser } from './types';
import { VcfCapture } from './vcf-capture';

export async function submit(
  sim: CloudgeneSimulator,
  request: IncomingMessage,
  response: ServerResponse,
  user: SimulatedUser,
): Promise<void> {
  const { answers } = sim;
  const declared = request.headers['content-length'];
  const contentLength = declared === undefined ? null : Number(declared);
  if (contentLength !== null && contentLength > sim.maxUploadBytes) {
    await drain(request);
    return answers.sendText(response, 413, 'Request Entity Too Large');
  }
  let bytes = 0;
  const counted = (async function* () {
    for await (const chunk of request) {
      bytes += (chunk as Buffer).length;
      yield chunk as Buffer;
    }
  })();
  const captures: VcfCapture[] = [];
  const readFile = ({ name, fileName }: { name: string; fileName: string }) => {
    if (name !== 'files') return undefined;
    const capture = new VcfCapture(fileName);
    captures.push(capture);
    return capture;
  };
  let parts: ParsedPart[];
  try {
    parts = await parseMultipart(counted, request.headers['content-type'] ?? '', readFile);
  } catch (error) {
    await Promise.all(captures.map((c) => c.end()));
    await drain(request);
    return answers.error(response, 400, (error as Error).message);
  }
  const input = await Promise.all(captures.map((c) => c.end()));
  if (bytes > sim.maxUploadBytes) return answers.sendText(response, 413, 'Request Entity Too Large');
  // As at the service: the whole upload is received before maintenance refuses it.
  if (refusedForMaintenance(sim.maintenance, user, 'submit'))
    return answers.error(response, 503, MAINTENANCE_TEXT);

  const accepted = new Set([...appParams(sim.panels, sim.withoutParams).map((p) => p.id), 'job-name']);
  const unknown = parts.find((p) => !accepted.has(p.name));
  if (unknown)
    return answers.send(response, 400, { message: `Parameter '${unknown.name}' not found.`, success: false });
  const files = parts
    .filter((p) => p.name === 'files' && p.fileName !== undefined)
    .map((p) => ({ name: p.fileName as string, bytes: p.bytes, sha256: p.sha256 as string }));
  if (files.length === 0) return answers.error(response, 400, 'Please upload at least one file.');
  const active =
    sim.submissionsOf(user.username).filter((j) => ACTIVE_STATES.has(sim.stateOf(j))).length +
    user.otherActiveJobs;
  if (active >= sim.concurrencyLimit) {
    return answers.error(
      response,
      400,
      `Only ${sim.concurrencyLimit} jobs per user can be executed simultaneously.`,
    );
  }

  const fields = Object.fromEntries(
    parts.filter((p) => p.fileName === undefined).map((p) => [p.name, p.value ?? '']),
  );
  const submission: ReceivedSubmission = { user: user.username, fields, files };
  const chunked = request.headers['transfer-encoding'] === 'chunked';
  const job = await createJob(sim, submission, { contentLength, chunked, bytes }, input);
  answers.send(response, 200, {
    success: true,
    message: 'Your job was successfully added to the job queue.',
    id: job.id,
  });
}
