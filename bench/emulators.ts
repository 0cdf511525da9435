/**
 * Child process of the copy benchmark: the emulators and the Cloudgene simulator, kept out of the
 * measured process so its peak memory is the copy's own. Prints one JSON line with the endpoints.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureGatewayTable, startDynamoDbEmulator } from '#infra/local/emulators/dynamodb';
import { startS3Emulator } from '#infra/local/emulators/s3';
import { startCloudgeneSimulator } from '#test/simulator/cloudgene-simulator';

const sizes = (process.env.BENCH_SIZES ?? '').split(',').map(Number);
const dynamodb = await startDynamoDbEmulator();
await ensureGatewayTable(dynamodb.url, 'bench');
const s3 = await startS3Emulator({
  buckets: ['bench-results'],
  directory: mkdtempSync(join(tmpdir(), 'bench-s3-')),
});
const sim = await startCloudgeneSimulator({
  resultFiles: sizes.map((size, index) => ({
    name: `chr_${index + 1}.zip`,
    size,
    redirect: index % 2 === 1,
  })),
  maxDownloadsPerFile: 100,
});
console.log(JSON.stringify({ dynamodb: dynamodb.url, s3: s3.url, s3Directory: s3.directory, sim: sim.url }));
process.on('SIGTERM', async () => {
  await Promise.all([s3.close(), sim.close(), dynamodb.close()]);
  process.exit(0);
});
