/**
 * Byte ranges at the simulator's download routes, as upstream serves them: Cloudgene 3's share route
 * answers the whole file to a `Range` (an InputStream body, which Micronaut never cuts) and counts a
 * download for it; the presigned redirect target answers like S3 (206 with `Content-Range`, 416 past the
 * end, several ranges ignored) and counts nothing. The result copy's resume relies on both.
 */
import { describe, expect, it } from 'vitest';
import type { CloudgeneSimulator } from '#infra/local/simulator/cloudgene-simulator';
import { resultChunks } from '#infra/local/simulator/result-bytes';
import { makeVcfGz } from '#test/support/vcf-fixtures';
import { simulatorsOfThisFile, submitRaw } from './simulator-support';

const SIZE = 200_003;
const simulator = simulatorsOfThisFile();

async function finishedFile(sim: CloudgeneSimulator) {
  const token = sim.addUser({ username: 'ann' });
  const submitted = await submitRaw(sim, token, makeVcfGz({ samples: 5, records: 10 }));
  const { id } = (await submitted.json()) as { id: string };
  sim.setJobState(id, 4);
  const file = sim.job(id).results[0]!;
  return { file, whole: Buffer.concat([...resultChunks(file.seed!, SIZE)]) };
}

const ranged = (url: string, range: string) => fetch(url, { headers: { Range: range }, redirect: 'manual' });

describe('byte ranges at the download routes', () => {
  it('the share route ignores Range: the whole file, 200, and a download counted', async () => {
    const sim = await simulator({ resultFiles: [{ name: 'a.zip', size: SIZE, redirect: false }] });
    const { file, whole } = await finishedFile(sim);
    const response = await ranged(`${sim.url}/share/results/${file.hash}/a.zip`, 'bytes=100-');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-range')).toBeNull();
    expect(Buffer.from(await response.arrayBuffer()).equals(whole)).toBe(true);
    expect(file.downloads).toBe(1);
  });

  it('the presigned target answers a range with 206 like S3, and counts nothing', async () => {
    const sim = await simulator({ resultFiles: [{ name: 'a.zip', size: SIZE, redirect: true }] });
    const { file, whole } = await finishedFile(sim);
    const share = await fetch(`${sim.url}/share/results/${file.hash}/a.zip`, { redirect: 'manual' });
    const location = share.headers.get('location')!;
    expect(file.downloads).toBe(1);

    const open = await ranged(location, 'bytes=70000-');
    expect(open.status).toBe(206);
    expect(open.headers.get('content-range')).toBe(`bytes 70000-${SIZE - 1}/${SIZE}`);
    expect(open.headers.get('accept-ranges')).toBe('bytes');
    expect(Buffer.from(await open.arrayBuffer()).equals(whole.subarray(70_000))).toBe(true);

    const closed = await ranged(location, 'bytes=65530-65545');
    expect(closed.headers.get('content-length')).toBe('16');
    expect(Buffer.from(await closed.arrayBuffer()).equals(whole.subarray(65_530, 65_546))).toBe(true);

    const suffix = await ranged(location, 'bytes=-3');
    expect(Buffer.from(await suffix.arrayBuffer()).equals(whole.subarray(SIZE - 3))).toBe(true);

    const past = await ranged(location, `bytes=${SIZE}-`);
    expect([past.status, past.headers.get('content-range')]).toEqual([416, `bytes */${SIZE}`]);
    await past.arrayBuffer();

    const several = await ranged(location, 'bytes=0-1,5-6');
    expect(several.status).toBe(200);
    expect((await several.arrayBuffer()).byteLength).toBe(SIZE);
    expect(open.headers.get('etag')).toBe(several.headers.get('etag'));
    expect(file.downloads).toBe(1);
  });
});
