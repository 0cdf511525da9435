/** A job's state as a coloured chip with its words (colour is never the only signal). */
import { statusLabel, statusTone } from '../lib/job-status';

export function StatusChip({ status }: { status: string }) {
  return <span className={`chip tone-${statusTone(status)}`}>{statusLabel(status)}</span>;
}
