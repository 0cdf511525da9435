/**
 * "Use files you uploaded before": the researcher's READY uploads not uploaded on this page, as a
 * checklist, so a job can reuse inputs without sending them again.
 */
import type { Upload } from '../api/client';
import { formatBytes, formatDateTime } from '../lib/format';

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
        {props.uploads.map((u) => (
          <li key={u.uploadId}>
            <label>
              <input
                type="checkbox"
                checked={props.chosen.includes(u.uploadId)}
                onChange={(event) => {
                  const checked = event.target.checked;
                  props.onChange((list) =>
                    checked ? [...list, u.uploadId] : list.filter((id) => id !== u.uploadId),
                  );
                }}
              />
              {u.fileName}{' '}
              <span className="muted">
                ({formatBytes(u.size)}, {formatDateTime(u.createdAt)})
              </span>
            </label>
          </li>
        ))}
      </ul>
    </details>
  );
}
