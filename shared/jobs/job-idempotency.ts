/**
 * Idempotency-Key bindings of job creation: an item `IDEMPOTENCY#<key>` under the owner's partition that
 * binds the key to one job id and the hash of the request that made it, first writer wins (one
 * conditional put). A retried POST finds the binding and answers with that job; a different request under
 * the same key is told apart by its hash. Bindings expire with the table's TTL.
 */
import { type ItemStore, userItemKey } from '#shared/aws/item-store';
import { tableKeys } from '#shared/aws/table-definition';

export interface IdempotencyBinding {
  jobId: string;
  requestHash: string;
}

export const IDEMPOTENCY_TTL_SECONDS = 7 * 86_400;

/**
 * Returns the binding that holds afterwards: ours (`claimed`), or the one an earlier request made.
 * A binding that vanished between our refused put and the read (its TTL ran out) is claimed anew once.
 */
export async function claimIdempotencyKey(
  items: ItemStore,
  owner: string,
  key: string,
  claim: IdempotencyBinding,
  ttlSeconds = IDEMPOTENCY_TTL_SECONDS,
): Promise<IdempotencyBinding & { claimed: boolean }> {
  const itemKey = userItemKey(owner, `IDEMPOTENCY#${key}`);
  for (let attempt = 0; attempt < 2; attempt++) {
    const claimed = await items.insert({
      ...itemKey,
      entity: 'IdempotencyKey',
      ...claim,
      [tableKeys.ttlAttribute]: Math.floor(Date.now() / 1000) + ttlSeconds,
    });
    if (claimed) return { ...claim, claimed: true };
    const existing = await items.get<IdempotencyBinding>(itemKey);
    if (existing) {
      return { jobId: String(existing.jobId), requestHash: String(existing.requestHash), claimed: false };
    }
  }
  throw new Error('An Idempotency-Key binding could neither be claimed nor read');
}
