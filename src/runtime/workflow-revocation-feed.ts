import type { Logger } from '../observability/logger.ts';
import { redisErrorMessage, redisKeyPrefix } from '../security/redis-failure-limiter.ts';
import type { WorkflowKey } from '../store/workflow-revocations.repository.ts';
import { RedisChannel } from './redis-channel.ts';

/** Longer than any instance id or workflow id the service accepts; anything longer is not ours. */
const MAX_ID_LENGTH = 1024;

/**
 * The channel on which workflow-service replicas tell each other that a workflow's revocation changed
 * (`<prefix>workflow-revocations`, a {@link RedisChannel}): a message names the instance and the
 * workflow, never a token; the receiver reads the entry from the store. Undefined without Redis.
 *
 * @example
 * const feed = workflowRevocationFeed(settings, logger);
 * await feed?.publish({ instanceId, workflowId });
 */
export type WorkflowRevocationFeed = RedisChannel<WorkflowKey>;

export function workflowRevocationFeed(
  settings: { redisUrl: string | undefined; externalUrl: string },
  logger: Logger,
): WorkflowRevocationFeed | undefined {
  if (!settings.redisUrl) return undefined;
  return new RedisChannel<WorkflowKey>({
    url: settings.redisUrl,
    channel: `${redisKeyPrefix(settings.externalUrl)}workflow-revocations`,
    carries: 'workflow revocation',
    decode: decodeWorkflowKey,
    onError: (error) =>
      logger.warn(
        { error: redisErrorMessage(error) },
        'workflow revocations: Redis unavailable; other replicas rely on polling',
      ),
  });
}

/** The workflow a message names, or undefined when it is not one a replica of ours could have sent. */
export function decodeWorkflowKey(fields: Record<string, unknown>): WorkflowKey | undefined {
  const { instanceId, workflowId } = fields;
  const valid = (id: unknown): id is string => typeof id === 'string' && id.length <= MAX_ID_LENGTH;
  return valid(instanceId) && valid(workflowId) && workflowId !== '' ? { instanceId, workflowId } : undefined;
}
