/**
 * Text from outside (a service's message, an event detail built from one) is stored on a job item and
 * shown to its owner: each is kept to about 1 KB, cut with an ellipsis, so no answer can make an item
 * grow without bound (DynamoDB's item limit is 400 KB).
 */

/** The most characters one stored message or event detail keeps. */
export const MAX_STORED_TEXT = 1024;

/** `text` as is when short enough; otherwise its start and `…`, `max` characters in all. */
export function truncated(text: string, max = MAX_STORED_TEXT): string {
  if (text.length <= max) return text;
  let cut = text.slice(0, max - 1);
  // Never half a surrogate pair (an emoji cut in two is not valid text).
  if (/[\uD800-\uDBFF]$/.test(cut)) cut = cut.slice(0, -1);
  return `${cut}…`;
}
