import type { IssuerConfig } from '@tessera/sdk';
import type { Settings } from '../config/settings.ts';
import { loadInstanceSecrets } from '../crypto/instance-secrets.ts';
import { KeyManager } from '../keys/key-manager.ts';
import type { Logger } from '../observability/logger.ts';
import { USER_TOKEN_LIFETIME_SECONDS } from '../services/workflow-service/generate-token.handler.ts';
import {
  startWorkflowService,
  type RunningWorkflowService,
} from '../services/workflow-service/start-workflow-service.ts';
import { openDatabase, type Db } from '../store/database.ts';
import { migrateToLatest } from '../store/migrations/index.ts';
import { systemClock, type Clock } from '../util/clock.ts';
import type { RoleReadiness } from './role-readiness.ts';
import { SharedWorkflowRevocations } from './shared-workflow-revocations.ts';
import { storeTokenSigner } from './store-token-signer.ts';
import { workflowRevocationFeed } from './workflow-revocation-feed.ts';

export const WORKFLOW_SERVICE_NAME = 'gitlab-duo-workflow-service';
/** The KeyManager role whose keys sign the service's user tokens. */
export const WORKFLOW_SERVICE_KEY_ROLE = 'workflow-service';

/** How often the key scheduler looks at the active key's age. */
const KEY_SCHEDULER_INTERVAL_MS = 60_000;

/**
 * Starts the workflow service role (gRPC) on `rolePorts['workflow-service']`, trusting instance tokens
 * from the instance at `externalUrl` unless `issuers` says otherwise.
 *
 * Everything it must share with its other replicas is in the store of `TESSERA_DATABASE_URL` (or
 * `db`): its signing keys (KeyManager role `workflow-service`, sealed under the key-encryption key,
 * created on first start and rotated by its key scheduler like every role's), so a user token one
 * replica signs is accepted by all; and its revocations, mirrored in each replica's memory, announced
 * on Redis when `TESSERA_REDIS_URL` is set and polled every `TESSERA_WORKFLOW_REVOCATION_POLL_MS`.
 */
export async function startWorkflowServiceRole(
  settings: Settings,
  options: { logger: Logger; issuers?: IssuerConfig[]; readiness?: RoleReadiness; db?: Db; clock?: Clock },
): Promise<RunningWorkflowService> {
  const logger = options.logger.child({ role: 'workflow-service' });
  const clock = options.clock ?? systemClock;
  const ownsDb = options.db === undefined;
  const db = options.db ?? openDatabase(settings.databaseUrl);
  let revocations: SharedWorkflowRevocations | undefined;
  const feed = workflowRevocationFeed(settings, logger);
  try {
    if (ownsDb) await migrateToLatest(db);
    const secrets = loadInstanceSecrets(settings, (message) => logger.warn(message));
    const keys = new KeyManager({ db, clock, box: secrets.box, settings, logger });
    await keys.ensureKeys(WORKFLOW_SERVICE_KEY_ROLE);
    revocations = await SharedWorkflowRevocations.open({
      db,
      clock,
      logger,
      tokenLifetimeSeconds: USER_TOKEN_LIFETIME_SECONDS,
      pollMs: settings.workflowRevocationPollMs,
      ...(feed ? { feed } : {}),
    });
    const service = await startWorkflowService({
      authority: storeTokenSigner(keys, {
        role: WORKFLOW_SERVICE_KEY_ROLE,
        issuer: WORKFLOW_SERVICE_NAME,
        maxLifetimeSeconds: USER_TOKEN_LIFETIME_SECONDS,
      }),
      revocations,
      host: settings.host,
      port: settings.rolePorts['workflow-service'],
      issuers: options.issuers ?? [{ issuer: settings.externalUrl }],
      logger,
      readiness: options.readiness,
    });
    keys.startScheduler([WORKFLOW_SERVICE_KEY_ROLE], KEY_SCHEDULER_INTERVAL_MS);
    const opened = revocations;
    return {
      ...service,
      async close() {
        keys.stopScheduler();
        await service.close();
        await opened.close();
        if (ownsDb) await db.destroy();
      },
    };
  } catch (error) {
    await (revocations ?? feed)?.close();
    if (ownsDb) await db.destroy();
    throw error;
  }
}
