/**
 * "Use files you uploaded before": the researcher's READY uploads not uploaded on this page, each file
 * once (file-checks.ts), as a checklist, so a job can reuse inputs without sending them again. Each says
 * what the server's check of the whole file found; one it found invalid cannot be chosen.
 */
import type { Upload } from '../api/client';
import { serverCheckWords } from '../lib/file-checks';
import { formatBytes, formatDateTime } from '../lib/format';
import { WithCode } from './with-code';

export function EarlierUploads(props: {
  uploads: Upload[];
  chosen: string[];
  onChange: (update: (list: string[]) => string[]) => void;
}) {
  if (props.uploads.length === 0) return null;
  return (
    <details className="reuse">
      <summary>Use files you uploaded before ({props.uploads.length})</summary>
      <ul className="checklist">
        {props.uploads.map((u) => {
          const checked = props.chosen.includes(u.uploadId);
          const invalid = u.check?.status === 'INVALID';
          const outcome = serverCheckWords(u.check);
          const outcomeId = `check-${u.uploadId}`;
          return (
            <li key={u.uploadId} data-earlier-check={u.check?.status.toLowerCase() ?? 'none'}>
              <label>
                <input
                  type="checkbox"
                  checked={checked}
                  // A file found invalid cannot be chosen; one chosen before its check ended can be unchosen.
                  disabled={invalid && !checked}
                  aria-describedby={outcome ? outcomeId : undefined}
                  onChange={(event) => {
                    const on = event.target.checked;
                    props.onChange((list) =>
                      on ? [...list, u.uploadId] : list.filter((id) => id !== u.uploadId),
                    );
                  }}
                />
                <span>
                  {u.fileName}{' '}
                  <span className="muted">
                    ({formatBytes(u.size)}, {formatDateTime(u.createdAt)})
                  </span>
                </span>
              </label>
              {outcome ? (
                <p id={outcomeId} className={outcome.tone === 'danger' ? 'file-problem' : 'file-facts'}>
                  {invalid ? 'Cannot be used: ' : null}
                  <WithCode text={outcome.text} />
                </p>
              ) : null}
            </li>
          );
        })}
      </ul>
    </details>
  );
}
