import { randomBytes } from 'node:crypto';
import type { Actor } from '../../../src/audit/audit-log.ts';
import { Digester, SecretBox } from '../../../src/crypto/secrets.ts';
import { Metrics } from '../../../src/observability/metrics.ts';
import { openDatabase, type Db, type Engine } from '../../../src/store/database.ts';
import { migrateToLatest } from '../../../src/store/migrations/index.ts';
import type { User } from '../../../src/store/schema.ts';
import { DeployTokenCache } from '../../../src/tokens/deploy/deploy-token-cache.ts';
import type { DeployTokenDeps } from '../../../src/tokens/deploy/deploy-token-deps.ts';
import {
  createDeployToken,
  type DeployTokenResource,
} from '../../../src/tokens/deploy/deploy-token.service.ts';
import type { NewDeployTokenRequest } from '../../../src/tokens/deploy/deploy-token-input.ts';
import { ManualClock } from '../../../src/util/clock.ts';
import { createEmptyDatabaseUrl } from '../../support/databases.ts';
import { rememberSecret } from '../../support/secrets.ts';

/** Noon on 1 March 2026: every expiry in these tests is relative to it. */
export const START = '2026-03-01T12:00:00.000Z';

export interface DeployWorld {
  db: Db;
  clock: ManualClock;
  deps: DeployTokenDeps;
  destroy(): Promise<void>;
}

/** A migrated store on `engine` and the deploy token services over it, with a frozen clock. */
export async function deployWorld(engine: Engine): Promise<DeployWorld> {
  const database = await createEmptyDatabaseUrl(engine);
  const db = openDatabase(database.url);
  await migrateToLatest(db);
  const clock = new ManualClock(START);
  const deps: DeployTokenDeps = {
    db,
    clock,
    digester: new Digester(randomBytes(32)),
    box: new SecretBox(randomBytes(32)),
    metrics: new Metrics(),
    tokenPrefix: '',
    cache: new DeployTokenCache(clock),
  };
  return {
    db,
    clock,
    deps,
    async destroy() {
      await db.destroy();
      // pg's pool resolves end() before its sockets have closed: give them a moment before the drop.
      await new Promise((resolve) => setTimeout(resolve, 200));
      await database.drop();
    },
  };
}

/** A user acting from a documentation address. */
export const actorOf = (user: User): Actor => ({ userId: user.id, name: user.username, ip: '192.0.2.1' });

/** A deploy token made through the service by `by`; its secret is remembered for the leak check. */
export async function giveDeployToken(
  world: DeployWorld,
  by: User,
  resource: DeployTokenResource,
  request: Partial<NewDeployTokenRequest> = {},
) {
  const issued = await createDeployToken(world.deps, actorOf(by), by, resource, {
    name: 'cluster',
    scopes: ['read_registry'],
    ...request,
  });
  rememberSecret(issued.plaintext);
  return issued;
}
