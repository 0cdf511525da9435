/**
 * Our advice quotes commands and file names in backticks (`bcftools sort`, `bgzip -c file.vcf`): shown
 * as code, so a researcher sees what to type.
 */
import { Fragment } from 'react';

export function WithCode({ text }: { text: string }) {
  let offset = 0;
  return text.split(/(`[^`]+`)/).map((part) => {
    const key = offset; // where the part starts: unique, and stable for the same text
    offset += part.length;
    return /^`[^`]+`$/.test(part) ? (
      <code key={key}>{part.slice(1, -1)}</code>
    ) : (
      <Fragment key={key}>{part}</Fragment>
    );
  });
}
