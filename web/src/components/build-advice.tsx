/**
 * Under "Build of your input data": each picked file whose own evidence the chosen build contradicts,
 * with the server's advice for it (the same words the job would fail with). Said as soon as a file is
 * picked or the build changed, and gone once they agree.
 */
import { WithCode } from './with-code';

export function BuildAdvice({
  id,
  advice,
}: {
  /** The build field names it (aria-describedby) while it is shown. */
  id: string;
  advice: readonly { key: string; fileName: string; message: string }[];
}) {
  if (advice.length === 0) return null;
  return (
    <div id={id} className="notice danger build-advice" role="alert">
      <p className="notice-title">The build of your input data does not fit your files.</p>
      {advice.map(({ key, fileName, message }) => (
        <p key={key}>
          <span className="file-name">{fileName}:</span> <WithCode text={message} />
        </p>
      ))}
    </div>
  );
}
