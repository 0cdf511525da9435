/**
 * What the researcher sees of one upload: its phases, the snapshot the file list renders, and the byte
 * accounting behind the progress bar (parts stored whole, plus the bytes of the PUTs in flight, with the
 * speed and time left over a sliding window).
 */
import { TransferRate } from './upload-plan';

export type UploadPhase =
  | 'preparing'
  | 'uploading'
  | 'retrying'
  | 'offline'
  | 'completing'
  | 'done'
  | 'interrupted'
  | 'failed'
  | 'canceled';

export interface UploadSnapshot {
  phase: UploadPhase;
  fileName: string;
  size: number;
  uploaded: number;
  bytesPerSecond: number | null;
  secondsLeft: number | null;
  uploadId: string | null;
  transfer: 'single' | 'multipart' | null;
  /** Bytes S3 already held when the upload resumed (for the researcher and the tests). */
  resumedFromBytes: number;
  /** Parts S3 already held, of all, when the upload resumed. */
  resumed: { parts: number; of: number } | null;
  message: string;
}

export function initialSnapshot(file: { name: string; size: number }): UploadSnapshot {
  return {
    phase: 'preparing',
    fileName: file.name,
    size: file.size,
    uploaded: 0,
    bytesPerSecond: null,
    secondsLeft: null,
    uploadId: null,
    transfer: null,
    resumedFromBytes: 0,
    resumed: null,
    message: '',
  };
}

export class ProgressMeter {
  /** Bytes of parts (or the file) S3 holds whole. */
  doneBytes = 0;
  private inFlight = new Map<number, number>();
  private rate = new TransferRate();

  constructor(private readonly size: number) {}

  /** Bytes a PUT in flight has sent so far (0 or a failed attempt: `drop`). */
  sending(partNumber: number, loaded: number): void {
    this.inFlight.set(partNumber, loaded);
  }

  drop(partNumber: number): void {
    this.inFlight.delete(partNumber);
  }

  stored(partNumber: number, bytes: number): void {
    this.inFlight.delete(partNumber);
    this.doneBytes += bytes;
  }

  /** A new run: nothing in flight, a fresh speed window, `doneBytes` as given. */
  restart(doneBytes: number): void {
    this.inFlight.clear();
    this.rate.reset();
    this.doneBytes = doneBytes;
  }

  stop(): void {
    this.inFlight.clear();
  }

  read(now: number): Pick<UploadSnapshot, 'uploaded' | 'bytesPerSecond' | 'secondsLeft'> {
    let uploaded = this.doneBytes;
    for (const bytes of this.inFlight.values()) uploaded += bytes;
    uploaded = Math.min(uploaded, this.size);
    this.rate.record(uploaded, now);
    return {
      uploaded,
      bytesPerSecond: this.rate.bytesPerSecond(),
      secondsLeft: this.rate.secondsLeft(this.size - uploaded),
    };
  }
}
