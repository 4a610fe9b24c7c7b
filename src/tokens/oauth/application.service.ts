import { recordAudit, type Actor } from '../../audit/audit-log.ts';
import { badRequest, notFound } from '../../errors/tessera-error.ts';
import type { Executor } from '../../store/database.ts';
import { inTransaction } from '../../store/in-transaction.ts';
import {
  countOAuthApplications,
  deleteOAuthApplication,
  findOAuthApplicationById,
  insertOAuthApplication,
  listOAuthApplications,
  updateOAuthApplicationSecret,
} from '../../store/oauth-applications.repository.ts';
import { countLiveOAuthTokensOfApplication } from '../../store/oauth-grants.repository.ts';
import type { OAuthApplication } from '../../store/oauth.tables.ts';
import { isoNow } from '../../util/clock.ts';
import type { OAuthDeps } from './oauth-deps.ts';
import { APPLICATION_SCOPES } from './oauth-scopes.ts';
import { APPLICATION_SECRET_PREFIX, mintClientId, mintPrefixedSecret } from './oauth-secrets.ts';

export interface NewApplicationInput {
  name: string;
  redirectUris: readonly string[];
  scopes: readonly string[];
  confidential: boolean;
  /** Skips the consent screen; instance-wide applications only. */
  trusted: boolean;
  /** May issue `user:<id>` (composite identity) tokens; instance-wide applications only. */
  dynamicUserScope: boolean;
  /** null: instance-wide (made by an administrator); otherwise the owning user. */
  ownerId: number | null;
}

/** An application just stored, with the one copy of its secret that will ever exist outside the caller. */
export interface CreatedApplication {
  application: OAuthApplication;
  /** The one-time `gloas-` secret; a public application has none (it could not keep one). */
  secret: string | undefined;
}

const MAX_NAME = 255;
const MAX_REDIRECT_URIS = 10;

/**
 * Registers an OAuth application: a random `client_id`, a `gloas-` secret kept only as a digest, the
 * exact redirect URIs and the scopes it may ask for. Audited. Authorisation is the caller's.
 *
 * @example
 * const { application, secret } = await createApplication(deps, actor, { name: 'CLI', redirectUris: ['http://127.0.0.1/cb'], scopes: ['api'], confidential: false, trusted: false, dynamicUserScope: false, ownerId: null });
 */
export async function createApplication(
  deps: OAuthDeps,
  actor: Actor,
  input: NewApplicationInput,
): Promise<CreatedApplication> {
  const name = input.name.trim();
  if (!name) throw badRequest('name', 'is missing');
  if (name.length > MAX_NAME) throw badRequest('name', `is too long (maximum is ${MAX_NAME} characters)`);
  const redirectUris = validRedirectUris(input.redirectUris);
  if (input.scopes.length === 0) throw badRequest('scopes', 'is missing');
  const unknown = input.scopes.find((scope) => !APPLICATION_SCOPES.includes(scope));
  if (unknown !== undefined)
    throw badRequest('scopes', `doesn't match the allowed scopes: ${APPLICATION_SCOPES.join(', ')}`);
  if (input.ownerId !== null && (input.trusted || input.dynamicUserScope)) {
    throw badRequest('trusted', 'can only be set on instance-wide applications');
  }
  const secret = mintPrefixedSecret(deps.policy.tokenPrefix, APPLICATION_SECRET_PREFIX);
  const application = await inTransaction(deps.db, async (trx) => {
    const created = await insertOAuthApplication(trx, {
      uid: mintClientId(),
      name,
      secret_digest: deps.digester.digest(secret),
      redirect_uris: JSON.stringify(redirectUris),
      scopes: JSON.stringify([...new Set(input.scopes)]),
      confidential: input.confidential ? 1 : 0,
      trusted: input.trusted ? 1 : 0,
      dynamic_user_scope: input.dynamicUserScope ? 1 : 0,
      owner_id: input.ownerId,
      created_at: isoNow(deps.clock),
    });
    await auditApplication(deps, trx, actor, 'created', created);
    return created;
  });
  return { application, secret: application.confidential === 1 ? secret : undefined };
}

/** One page of instance-wide applications (`ownerId` null) or of a user's own. */
export async function listApplications(
  deps: OAuthDeps,
  ownerId: number | null,
  page: { limit: number; offset: number },
): Promise<{ applications: OAuthApplication[]; total: number }> {
  const [applications, total] = await Promise.all([
    listOAuthApplications(deps.db, ownerId, page),
    countOAuthApplications(deps.db, ownerId),
  ]);
  return { applications, total };
}

/** Deletes an application and everything issued under it (its tokens stop working at once). */
export async function deleteApplication(
  deps: OAuthDeps,
  actor: Actor,
  id: number,
  ownerId: number | null,
): Promise<void> {
  await inTransaction(deps.db, async (trx) => {
    const application = await findOwned(trx, id, ownerId);
    const liveTokens = await countLiveOAuthTokensOfApplication(trx, application.id, isoNow(deps.clock));
    await deleteOAuthApplication(trx, application.id);
    await auditApplication(deps, trx, actor, 'destroyed', application, { live_tokens_revoked: liveTokens });
  });
}

/** Replaces the application's secret; the old one stops working at once. The new one is shown once. */
export async function renewApplicationSecret(
  deps: OAuthDeps,
  actor: Actor,
  id: number,
  ownerId: number | null,
): Promise<CreatedApplication> {
  const secret = mintPrefixedSecret(deps.policy.tokenPrefix, APPLICATION_SECRET_PREFIX);
  const application = await inTransaction(deps.db, async (trx) => {
    const found = await findOwned(trx, id, ownerId);
    if (found.confidential !== 1) throw badRequest('secret', 'a public application has no secret to renew');
    await updateOAuthApplicationSecret(trx, found.id, deps.digester.digest(secret));
    await auditApplication(deps, trx, actor, 'secret_renewed', found);
    return found;
  });
  return { application, secret };
}

async function findOwned(db: Executor, id: number, ownerId: number | null): Promise<OAuthApplication> {
  const application = await findOAuthApplicationById(db, id);
  if (!application || application.owner_id !== ownerId) throw notFound('Application');
  return application;
}

/** Redirect URIs must be absolute, without a fragment (RFC 6749 §3.1.2); custom schemes serve native apps. */
function validRedirectUris(uris: readonly string[]): string[] {
  const unique = [...new Set(uris.map((uri) => uri.trim()).filter((uri) => uri !== ''))];
  if (unique.length === 0) throw badRequest('redirect_uri', 'is missing');
  if (unique.length > MAX_REDIRECT_URIS)
    throw badRequest('redirect_uri', `allows at most ${MAX_REDIRECT_URIS} URIs`);
  for (const uri of unique) {
    if (!URL.canParse(uri) || uri.includes('#') || uri.length > 2000) {
      throw badRequest('redirect_uri', 'must be an absolute URI without a fragment');
    }
    const scheme = new URL(uri).protocol;
    if (scheme === 'javascript:' || scheme === 'data:')
      throw badRequest('redirect_uri', 'is forbidden by the server.');
  }
  return unique;
}

async function auditApplication(
  deps: OAuthDeps,
  trx: Executor,
  actor: Actor,
  verb: 'created' | 'destroyed' | 'secret_renewed',
  application: OAuthApplication,
  details: Record<string, unknown> = {},
): Promise<void> {
  await recordAudit(trx, deps.clock, actor, {
    action: `oauth_application.${verb}`,
    entity:
      application.owner_id === null
        ? { type: 'Instance', id: null }
        : { type: 'User', id: application.owner_id },
    target: { type: 'OAuthApplication', id: application.id, details: application.name },
    details: {
      application_id: application.uid,
      name: application.name,
      confidential: application.confidential === 1,
      trusted: application.trusted === 1,
      dynamic_user_scope: application.dynamic_user_scope === 1,
      ...details,
    },
  });
}
