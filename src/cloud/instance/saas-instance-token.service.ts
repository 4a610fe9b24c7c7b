import { badRequest, forbidden, TesseraError } from '../../errors/tessera-error.ts';
import { addOnsOfUser } from '../../store/add-on-seats.repository.ts';
import type { User } from '../../store/schema.ts';
import { instanceTokenClaims } from '../license-authority/instance-token-claims.ts';
import { INSTANCE_KEY_ROLE, type CloudConnectorDeps } from './cloud-connector-deps.ts';
import { SELF_ISSUED_LIFETIME_SECONDS } from './instance-token-source.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * Seed 002's option 1, the SaaS side: a self-managed instance in `service_account` mode presents the
 * token of a service account on this SaaS-realm instance and gets an instance token for itself —
 * signed with this instance's key (`iss` = this instance), `sub` = the caller's instance UUID,
 * `gitlab_realm` = `self-managed`, scopes = the unit primitives of the service account's seats, 1 h.
 * Only a service account may ask, and only on a SaaS-realm instance (elsewhere the route does not exist).
 */
export async function issueInstanceTokenForServiceAccount(
  deps: CloudConnectorDeps,
  serviceAccount: User,
  instanceId: unknown,
): Promise<{ token: string; expires_at: number; scopes: string[] }> {
  if (deps.settings.realm !== 'saas') throw new TesseraError('not_found', '404 Not Found');
  if (serviceAccount.bot_kind !== 'service_account') {
    throw forbidden('403 Forbidden - only a service account may obtain an instance token');
  }
  if (typeof instanceId !== 'string' || !UUID.test(instanceId)) {
    throw badRequest('instance_id', 'must be the instance UUID');
  }
  const addOns = await addOnsOfUser(deps.db, serviceAccount.id);
  const claims = instanceTokenClaims(addOns, deps.catalogue, 'self-managed');
  if (claims.scopes.length === 0) {
    throw forbidden('403 Forbidden - the service account holds no seat of an AI add-on');
  }
  const token = await deps.keys.signJwt(
    INSTANCE_KEY_ROLE,
    { gitlab_realm: claims.gitlab_realm, scopes: claims.scopes },
    {
      typ: 'JWT',
      audience: claims.audience,
      subject: instanceId,
      expiresInSeconds: SELF_ISSUED_LIFETIME_SECONDS,
    },
  );
  const expiresAt = Math.floor(deps.clock.now().getTime() / 1000) + SELF_ISSUED_LIFETIME_SECONDS;
  return { token, expires_at: expiresAt, scopes: claims.scopes };
}
