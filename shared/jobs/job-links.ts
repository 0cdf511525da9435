/**
 * The link from a job to the jobs that resubmit it (`resubmittedAs`), the other half of each new job's
 * `resubmittedFrom`. One conditional UpdateItem that appends the new job's id unless it is listed already,
 * whatever the old job's state: a retried resubmission links once, and two resubmissions of one job
 * racing each other both land (DynamoDB applies the two appends one after the other).
 */
import { dynamoDocumentClient } from '#shared/aws/clients';
import { ItemStore } from '#shared/aws/item-store';
import { tableEnv } from '#shared/aws/table';
import { perRuntime } from '#shared/runtime';
import { jobKey } from './job-update-expressions';

function items(): ItemStore {
  return perRuntime(items, () => new ItemStore(dynamoDocumentClient(), tableEnv().TABLE_NAME));
}

/** Appends `toJobId` to the old job's `resubmittedAs`; false when it is listed already or the job is gone. */
export async function linkResubmission(owner: string, fromJobId: string, toJobId: string): Promise<boolean> {
  return items().update(jobKey(owner, fromJobId), {
    UpdateExpression: 'SET #as = list_append(if_not_exists(#as, :empty), :appended)',
    ConditionExpression: 'attribute_exists(PK) AND (attribute_not_exists(#as) OR NOT contains(#as, :id))',
    ExpressionAttributeNames: { '#as': 'resubmittedAs' },
    ExpressionAttributeValues: { ':empty': [], ':appended': [toJobId], ':id': toJobId },
  });
}
