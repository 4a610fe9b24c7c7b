import { SYSTEM_ACTOR } from '../audit/audit-log.ts';
import { createServiceAccount } from '../identity/service-account.service.ts';
import type { InstanceContext } from '../runtime/instance-context.ts';
import { findAiWorkflowIdentity, insertAiWorkflowIdentity } from '../store/ai-workflows.repository.ts';
import { inTransaction } from '../store/in-transaction.ts';
import { findOAuthApplicationById } from '../store/oauth-applications.repository.ts';
import type { OAuthApplication } from '../store/oauth.tables.ts';
import type { User } from '../store/schema.ts';
import { findUserById, findUserByUsernameIgnoringCase } from '../store/users.repository.ts';
import { createApplication } from '../tokens/oauth/application.service.ts';
import { oauthDeps } from '../tokens/oauth/oauth-deps.ts';
import { isoNow } from '../util/clock.ts';
import { WORKFLOW_TOKEN_SCOPES } from './workflow-rules.ts';

/** The row naming the instance's one Duo workflow identity. */
const IDENTITY_NAME = 'duo_workflow';
/** The service account's username, unless a user already has it. */
const SERVICE_ACCOUNT_USERNAME = 'duo-developer';

/** The service account remote workflows run as, and the trusted application that issues their tokens. */
export interface DuoWorkflowIdentity {
  serviceAccount: User;
  application: OAuthApplication;
}

type IdentityContext = Pick<
  InstanceContext,
  'db' | 'clock' | 'secrets' | 'metrics' | 'keys' | 'settings' | 'failureLimiter'
>;

/**
 * The instance's Duo workflow identity, created on first need (instance start): a service account
 * with `composite_identity_enforced` and a trusted instance-wide OAuth application allowed
 * `ai_workflows` and the dynamic `user:*` scope. Idempotent, and safe when replicas start together:
 * everything is made in one transaction and the loser of a race reads the winner's. Both creations
 * are audited (`service_account.created`, `oauth_application.created`). The application's secret is
 * dropped at once: the instance issues the composite tokens itself and no client ever signs in as it.
 *
 * @example
 * const { serviceAccount, application } = await duoWorkflowIdentity(context);
 */
export async function duoWorkflowIdentity(context: IdentityContext): Promise<DuoWorkflowIdentity> {
  const existing = await loadIdentity(context);
  if (existing) return existing;
  try {
    await inTransaction(context.db, async (trx) => {
      if (await findAiWorkflowIdentity(trx, IDENTITY_NAME)) return;
      const taken = await findUserByUsernameIgnoringCase(trx, SERVICE_ACCOUNT_USERNAME);
      const serviceAccount = await createServiceAccount(
        { db: trx, clock: context.clock, externalUrl: context.settings.externalUrl },
        SYSTEM_ACTOR,
        {
          ...(taken ? {} : { username: SERVICE_ACCOUNT_USERNAME }),
          name: 'Duo Developer',
          compositeIdentityEnforced: true,
        },
      );
      const { application } = await createApplication({ ...oauthDeps(context), db: trx }, SYSTEM_ACTOR, {
        name: 'Duo Workflow',
        redirectUris: [`${context.settings.externalUrl}/oauth/duo_workflow/callback`],
        scopes: [...WORKFLOW_TOKEN_SCOPES],
        confidential: true,
        trusted: true,
        dynamicUserScope: true,
        ownerId: null,
      });
      await insertAiWorkflowIdentity(trx, {
        name: IDENTITY_NAME,
        service_account_id: serviceAccount.id,
        oauth_application_id: application.id,
        created_at: isoNow(context.clock),
      });
    });
  } catch (error) {
    // A replica that lost the race (a unique violation, or the username taken meanwhile) reads the
    // winner's identity; any other failure is real.
    const winners = await loadIdentity(context);
    if (winners) return winners;
    throw error;
  }
  const created = await loadIdentity(context);
  if (!created) throw new Error('the Duo workflow identity could not be provisioned');
  return created;
}

/** The recorded identity when both its parts still exist (deleting either deletes the record too). */
async function loadIdentity(context: IdentityContext): Promise<DuoWorkflowIdentity | undefined> {
  const row = await findAiWorkflowIdentity(context.db, IDENTITY_NAME);
  if (!row) return undefined;
  const [serviceAccount, application] = await Promise.all([
    findUserById(context.db, row.service_account_id),
    findOAuthApplicationById(context.db, row.oauth_application_id),
  ]);
  return serviceAccount && application ? { serviceAccount, application } : undefined;
}
