/**
 * The password-protected `chr_N.zip` the services hand out, written with zip.js (a maintained library,
 * rather than hand-made cryptography): AES-256 (WinZip AE-2) when the submission sent `aesEncryption`,
 * classic ZipCrypto otherwise — as the services' `7z a -tzip [-mem=AES256] -p…` does. Entries are stored
 * (their contents are bgzipped already). Both ciphers draw a random salt or header, so the same files zip
 * to different bytes each time: the simulator makes a job's zips once and keeps them (job-results.ts).
 * zip.js runs in this thread (no web workers); its first archive costs a module start-up, which
 * `warmUpZip` pays ahead of the first submission.
 */
import { configure, Uint8ArrayReader, Uint8ArrayWriter, ZipWriter } from '@zip.js/zip.js';

configure({ useWebWorkers: false });

export interface ZipEntryInput {
  name: string;
  content: Buffer;
}

export async function encryptedZip(
  entries: readonly ZipEntryInput[],
  options: { password: string; aes: boolean; modified: Date },
): Promise<Buffer> {
  const cipher = options.aes ? { encryptionStrength: 3 as const } : { zipCrypto: true };
  const writer = new ZipWriter(new Uint8ArrayWriter(), {
    password: options.password,
    ...cipher,
    level: 0,
    lastModDate: options.modified,
  });
  for (const entry of entries)
    await writer.add(entry.name, new Uint8ArrayReader(new Uint8Array(entry.content)));
  return Buffer.from(await writer.close());
}

let warmedUp: Promise<unknown> | undefined;

/** Makes one small archive of each kind, once per process, so that no submission waits for zip.js to start. */
export function warmUpZip(): Promise<unknown> {
  warmedUp ??= Promise.all(
    [true, false].map((aes) =>
      encryptedZip([{ name: 'warm-up', content: Buffer.alloc(16) }], {
        password: 'warm-up',
        aes,
        modified: new Date(Date.UTC(2020, 0, 1)),
      }),
    ),
  );
  return warmedUp;
}
