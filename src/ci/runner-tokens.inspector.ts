import type { Actor } from '../audit/audit-log.ts';
import { recordAudit } from '../audit/audit-log.ts';
import {
  deleteRegistrationToken,
  findRegistrationTokenByDigest,
  type RunnerRegistrationToken,
} from '../store/ci-runner-registration.repository.ts';
import { findRunnerByTokenDigest } from '../store/ci-runners.repository.ts';
import type { Runner } from '../store/ci-schema.ts';
import { inTransaction } from '../store/in-transaction.ts';
import { findUserById } from '../store/users.repository.ts';
import type { TokenInspection, TokenInspector } from '../tokens/access/token-inspector.ts';
import type { CiDeps } from './ci-deps.ts';
import { replaceRunnerToken } from './runner-admin.service.ts';
import { REGISTRATION_TOKEN_PREFIX } from './runner-registration.service.ts';
import { RUNNER_TOKEN_PREFIX } from './runner.service.ts';

/**
 * Runner authentication tokens (`glrt-`) for the admin token API and the token inspector. Revoking
 * one gives the runner a new token that nobody is shown: the leaked one is refused at once and the
 * runner keeps its jobs' history; its owner resets the token again to get a usable one.
 */
export class RunnerTokenInspector implements TokenInspector {
  readonly prefix = RUNNER_TOKEN_PREFIX;

  constructor(private readonly deps: CiDeps) {}

  async inspect(plaintext: string): Promise<TokenInspection | null> {
    const runner = await findRunnerByTokenDigest(this.deps.db, this.deps.digester.digest(plaintext));
    return runner ? this.#describe(runner, false) : null;
  }

  async revoke(plaintext: string, actor: Actor): Promise<TokenInspection | null> {
    const runner = await findRunnerByTokenDigest(this.deps.db, this.deps.digester.digest(plaintext));
    if (!runner) return null;
    await replaceRunnerToken(this.deps, actor, runner, { via: 'admin_token' });
    return this.#describe(runner, true);
  }

  async #describe(runner: Runner, revoked: boolean): Promise<TokenInspection> {
    const creator =
      runner.created_by_id === null ? undefined : await findUserById(this.deps.db, runner.created_by_id);
    return {
      token_type: 'runner_authentication_token',
      id: runner.id,
      name: runner.description,
      state: revoked ? 'revoked' : 'active',
      active: !revoked,
      revoked,
      scopes: ['runner'],
      created_at: runner.created_at,
      expires_at: null,
      last_used_at: runner.contacted_at,
      user_id: runner.created_by_id,
      owner: creator ? { id: creator.id, username: creator.username, bot: creator.bot_kind !== null } : null,
      resource: runner.project_id === null ? null : { type: 'project', id: runner.project_id },
      access_level: null,
    };
  }
}

/**
 * Runner registration tokens (`GR1348941…`), the instance's or a project's. Revoking one deletes it:
 * no runner registers with it again until an administrator or maintainer resets it.
 */
export class RunnerRegistrationTokenInspector implements TokenInspector {
  readonly prefix = REGISTRATION_TOKEN_PREFIX;

  constructor(private readonly deps: CiDeps) {}

  async inspect(plaintext: string): Promise<TokenInspection | null> {
    const token = await findRegistrationTokenByDigest(this.deps.db, this.deps.digester.digest(plaintext));
    return token ? describeRegistrationToken(token, false) : null;
  }

  async revoke(plaintext: string, actor: Actor): Promise<TokenInspection | null> {
    const token = await findRegistrationTokenByDigest(this.deps.db, this.deps.digester.digest(plaintext));
    if (!token) return null;
    await inTransaction(this.deps.db, async (trx) => {
      if (!(await deleteRegistrationToken(trx, token.scope))) return;
      await recordAudit(trx, this.deps.clock, actor, {
        action: 'runner_registration_token.revoked',
        entity: { type: 'ci_runner_registration_token', id: token.scope },
        details: { via: 'admin_token' },
      });
    });
    return describeRegistrationToken(token, true);
  }
}

function describeRegistrationToken(token: RunnerRegistrationToken, revoked: boolean): TokenInspection {
  return {
    token_type: 'runner_registration_token',
    // The platform numbers these by their owner: the project, or 0 for the instance.
    id: token.project_id ?? 0,
    name: token.scope,
    state: revoked ? 'revoked' : 'active',
    active: !revoked,
    revoked,
    scopes: ['register_runner'],
    created_at: token.created_at,
    expires_at: null,
    last_used_at: null,
    user_id: null,
    owner: null,
    resource: token.project_id === null ? null : { type: 'project', id: token.project_id },
    access_level: null,
  };
}
