import type { Actor } from '../../audit/audit-log.ts';
import type { InstanceContext } from '../../runtime/instance-context.ts';
import { InProcessFailureLimiter, type FailureLimiter } from '../../security/rate-limiter.ts';
import type { User } from '../../store/schema.ts';
import { unitPrimitiveCatalogue } from '../unit-primitive-catalogue.ts';
import { activateInstance } from './activate-instance.ts';
import type { CloudConnectorDeps } from './cloud-connector-deps.ts';
import { cloudConnectorMetrics } from './cloud-connector-metrics.ts';
import { cloudConnectorStatus, type CloudConnectorStatus } from './cloud-connector-status.ts';
import { cloudConnectorState } from './instance-identity.ts';
import { issueInstanceTokenForServiceAccount } from './saas-instance-token.service.ts';
import { listAddOns } from './seats.service.ts';
import { storeServiceAccountToken } from './store-service-account-token.ts';
import { SyncScheduler } from './sync-scheduler.ts';
import { issueUserAiToken, type UserAiToken } from './user-ai-token.service.ts';

/** Per user: 10 user AI tokens per 5 minutes, as the platform limits direct_access. */
const USER_TOKEN_LIMIT = { limit: 10, windowSeconds: 300 };

/**
 * The instance side of Cloud Connector, one per running instance: its background sync, the per-user
 * limit on AI tokens, and the use cases the routes and the CLI call.
 *
 * @example
 * const cloud = cloudConnectorFor(context);
 * await cloud.activate(actor, 'ABCD…');   // then syncs
 * const { token, baseUrl } = await cloud.userToken(user);
 */
export class CloudConnector {
  readonly #sync: SyncScheduler;
  readonly #limiter: FailureLimiter;

  constructor(readonly deps: CloudConnectorDeps) {
    this.#sync = new SyncScheduler(deps, deps.logger);
    this.#limiter = new InProcessFailureLimiter({ ...USER_TOKEN_LIMIT, clock: deps.clock });
  }

  /** Starts the background sync (the server does; one-shot CLI commands do not). */
  start(): void {
    this.#sync.start();
  }

  stop(): Promise<void> {
    return this.#sync.stop();
  }

  async instanceId(): Promise<string> {
    return (await cloudConnectorState(this.deps.db, this.deps.clock)).instance_uuid;
  }

  /** Activates with the code, then syncs at once; the status tells how the sync went. */
  async activate(actor: Actor, activationCode: string): Promise<CloudConnectorStatus> {
    await activateInstance(this.deps, actor, activationCode);
    return this.syncNow();
  }

  async setServiceAccountToken(actor: Actor, token: string): Promise<CloudConnectorStatus> {
    await storeServiceAccountToken(this.deps, actor, token);
    return this.syncNow();
  }

  /** Syncs now (an admin's request, or after a change) and answers the status afterwards. */
  async syncNow(): Promise<CloudConnectorStatus> {
    await this.#sync.runNow();
    return this.status();
  }

  async status(): Promise<CloudConnectorStatus> {
    const state = await cloudConnectorState(this.deps.db, this.deps.clock);
    return cloudConnectorStatus(this.deps, state, await listAddOns(this.deps));
  }

  async userToken(user: User): Promise<UserAiToken> {
    return issueUserAiToken(this.deps, this.#limiter, user);
  }

  async instanceTokenForServiceAccount(serviceAccount: User, instanceId: unknown) {
    return issueInstanceTokenForServiceAccount(this.deps, serviceAccount, instanceId);
  }
}

const connectors = new WeakMap<object, CloudConnector>();

/**
 * The instance's one CloudConnector, made on first use from the instance's services (kept per
 * context rather than as a field of it: only Cloud Connector code needs it).
 */
export function cloudConnectorFor(context: InstanceContext): CloudConnector {
  let connector = connectors.get(context);
  if (!connector) {
    connector = new CloudConnector({
      db: context.db,
      clock: context.clock,
      settings: context.settings,
      box: context.secrets.box,
      digester: context.secrets.digester,
      keys: context.keys,
      catalogue: unitPrimitiveCatalogue(),
      logger: context.logger.child({ component: 'cloud-connector' }),
      metrics: cloudConnectorMetrics(context.metrics.registry),
      fetch: (input, init) => fetch(input, init),
    });
    connectors.set(context, connector);
  }
  return connector;
}
