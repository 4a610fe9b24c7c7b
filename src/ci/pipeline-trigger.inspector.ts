import type { Actor } from '../audit/audit-log.ts';
import { recordAudit } from '../audit/audit-log.ts';
import { inTransaction } from '../store/in-transaction.ts';
import { deletePipelineTrigger, findPipelineTriggerByDigest } from '../store/pipeline-triggers.repository.ts';
import type { PipelineTrigger } from '../store/pipeline-triggers.tables.ts';
import { findUserById } from '../store/users.repository.ts';
import type { TokenInspection, TokenInspector } from '../tokens/access/token-inspector.ts';
import type { CiDeps } from './ci-deps.ts';
import { TRIGGER_TOKEN_PREFIX } from './pipeline-trigger.service.ts';

/**
 * Pipeline trigger tokens (`glptt-`) for the admin token API and the token inspector. A trigger has no
 * expiry and no revoked state: revoking one deletes the trigger, as the platform does, so a leaked
 * token pasted into the inspector can be killed at once.
 */
export class PipelineTriggerInspector implements TokenInspector {
  readonly prefix = TRIGGER_TOKEN_PREFIX;

  constructor(private readonly deps: CiDeps) {}

  async inspect(plaintext: string): Promise<TokenInspection | null> {
    const trigger = await this.#find(plaintext);
    return trigger ? this.#describe(trigger, false) : null;
  }

  async revoke(plaintext: string, actor: Actor): Promise<TokenInspection | null> {
    const trigger = await this.#find(plaintext);
    if (!trigger) return null;
    await inTransaction(this.deps.db, async (trx) => {
      if (!(await deletePipelineTrigger(trx, trigger.project_id, trigger.id))) return;
      await recordAudit(trx, this.deps.clock, actor, {
        action: 'pipeline_trigger.deleted',
        entity: { type: 'Project', id: trigger.project_id },
        target: { type: 'Ci::Trigger', id: trigger.id },
        details: { via: 'admin_token' },
      });
    });
    return this.#describe(trigger, true);
  }

  // `inspectorFor` has matched the prefix; an unknown token simply has no row.
  #find(plaintext: string): Promise<PipelineTrigger | undefined> {
    return findPipelineTriggerByDigest(this.deps.db, this.deps.digester.digest(plaintext));
  }

  async #describe(trigger: PipelineTrigger, revoked: boolean): Promise<TokenInspection> {
    const owner = trigger.owner_id === null ? undefined : await findUserById(this.deps.db, trigger.owner_id);
    return {
      token_type: 'pipeline_trigger_token',
      id: trigger.id,
      name: trigger.description,
      state: revoked ? 'revoked' : 'active',
      active: !revoked,
      revoked,
      // What the token can do: start pipelines of its project, as its owner.
      scopes: ['trigger_pipeline'],
      created_at: trigger.created_at,
      expires_at: null,
      last_used_at: trigger.last_used,
      user_id: trigger.owner_id,
      owner: owner ? { id: owner.id, username: owner.username, bot: owner.bot_kind !== null } : null,
      resource: { type: 'project', id: trigger.project_id },
      access_level: null,
    };
  }
}
