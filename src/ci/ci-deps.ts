import { join } from 'node:path';
import type { Digester, SecretBox } from '../crypto/secrets.ts';
import type { KeyManager } from '../keys/key-manager.ts';
import type { Logger } from '../observability/logger.ts';
import type { Metrics } from '../observability/metrics.ts';
import type { InstanceContext } from '../runtime/instance-context.ts';
import type { Db } from '../store/database.ts';
import { RepositoryStore } from '../git/repository-store.ts';
import type { Clock } from '../util/clock.ts';
import { JobQueueSignal } from './job-queue.ts';

/** What the CI services need from the instance. */
export interface CiDeps {
  db: Db;
  clock: Clock;
  digester: Digester;
  /** Seals what jobs must get back in plaintext: CI/CD variable values. */
  box: SecretBox;
  keys: KeyManager;
  logger: Logger;
  metrics: Metrics;
  repositories: RepositoryStore;
  queue: JobQueueSignal;
  settings: {
    /** `iss` of ID tokens and the root of every URL handed to a job. */
    externalUrl: string;
    /** Instance prefix before `glcbt-` / `glrt-`, or ''. */
    tokenPrefix: string;
    maxJwtLifetimeSeconds: number;
    /** `CI_REGISTRY`; the instance's host when unset. */
    registryHost: string | undefined;
  };
}

const shared = new WeakMap<object, { repositories: RepositoryStore; queue: JobQueueSignal }>();

/**
 * The CI services' dependencies, taken from the instance context. The repository store and the queue
 * signal are one per instance (keyed by its store handle, as several instances may share a process).
 */
export function ciDeps(
  context: Pick<InstanceContext, 'db' | 'clock' | 'secrets' | 'keys' | 'logger' | 'metrics' | 'settings'>,
): CiDeps {
  let parts = shared.get(context.db);
  if (!parts) {
    parts = {
      repositories: new RepositoryStore(join(context.settings.dataDir, 'repositories')),
      queue: new JobQueueSignal(),
    };
    shared.set(context.db, parts);
  }
  return {
    db: context.db,
    clock: context.clock,
    digester: context.secrets.digester,
    box: context.secrets.box,
    keys: context.keys,
    logger: context.logger,
    metrics: context.metrics,
    ...parts,
    settings: {
      externalUrl: context.settings.externalUrl,
      tokenPrefix: context.settings.tokenPrefix,
      maxJwtLifetimeSeconds: context.settings.maxJwtLifetimeSeconds,
      registryHost: context.settings.ci.registryHost,
    },
  };
}
