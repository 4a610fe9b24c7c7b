import { decodeJwt } from 'jose';
import { countAddOnSeats } from '../../store/add-on-seats.repository.ts';
import type { CloudConnectorState } from '../../store/cloud-connector.tables.ts';
import { instanceTokenClaims } from '../license-authority/instance-token-claims.ts';
import { INSTANCE_KEY_ROLE, SEALED, type CloudConnectorDeps } from './cloud-connector-deps.ts';
import { postJson, UpstreamError } from './upstream-call.ts';

/** A fresh instance token and what the instance needs to know about it. */
export interface FreshInstanceToken {
  token: string;
  issuer: string;
  scopes: string[];
  /** Epoch seconds. */
  expiresAt: number;
}

/** Self-issued instance tokens (SaaS realm) last an hour, as the platform's do. */
export const SELF_ISSUED_LIFETIME_SECONDS = 3600;

/**
 * Where this instance gets its instance token, by realm and mode, or null when it cannot yet (a
 * self-managed instance not activated, or in `service_account` mode without a stored token):
 * - realm `saas`: signed by the instance itself with its `instance` key, every unit primitive, 1 h;
 * - mode `license`: from the license authority, presenting the license key and the seats in use;
 * - mode `service_account`: from the SaaS instance, presenting the stored service-account token.
 */
export function instanceTokenSource(
  deps: CloudConnectorDeps,
  state: CloudConnectorState,
): (() => Promise<FreshInstanceToken>) | null {
  const { settings } = deps;
  if (settings.realm === 'saas') return () => selfIssue(deps, state.instance_uuid);
  if (settings.cloudConnector.mode === 'service_account') {
    const sealed = state.service_account_token_encrypted;
    if (sealed === null) return null;
    return async () => {
      const url = `${settings.cloudConnector.saasUrl}/api/v4/cloud_connector/instance_token`;
      const body = await postJson(deps.fetch, url, 'the SaaS instance', {
        headers: { 'private-token': deps.box.open(sealed, SEALED.serviceAccountToken) },
        body: { instance_id: state.instance_uuid },
      });
      return describe(body.token);
    };
  }
  const sealedKey = state.license_key_encrypted;
  if (sealedKey === null) return null;
  return async () => {
    const url = `${settings.cloudConnector.licenseAuthorityUrl}/api/v1/instance_tokens`;
    const body = await postJson(deps.fetch, url, 'the license authority', {
      headers: { authorization: `Bearer ${deps.box.open(sealedKey, SEALED.licenseKey)}` },
      body: { instance_id: state.instance_uuid, seats: await countAddOnSeats(deps.db) },
    });
    return describe(body.token);
  };
}

async function selfIssue(deps: CloudConnectorDeps, instanceUuid: string): Promise<FreshInstanceToken> {
  const claims = instanceTokenClaims(deps.catalogue.addOns, deps.catalogue, 'saas');
  const token = await deps.keys.signJwt(
    INSTANCE_KEY_ROLE,
    { gitlab_realm: claims.gitlab_realm, scopes: claims.scopes },
    {
      typ: 'JWT',
      audience: claims.audience,
      subject: instanceUuid,
      expiresInSeconds: SELF_ISSUED_LIFETIME_SECONDS,
    },
  );
  return describe(token);
}

/** What the token says about itself (it was just received from a trusted upstream over our own request). */
function describe(token: unknown): FreshInstanceToken {
  if (typeof token !== 'string') throw new UpstreamError('the answer carries no token');
  let claims: ReturnType<typeof decodeJwt>;
  try {
    claims = decodeJwt(token);
  } catch {
    throw new UpstreamError('the answer carries a token that is not a JWT');
  }
  const scopes = Array.isArray(claims.scopes) ? claims.scopes.filter((s) => typeof s === 'string') : [];
  if (typeof claims.exp !== 'number' || typeof claims.iss !== 'string') {
    throw new UpstreamError('the token has no exp or iss');
  }
  return { token, issuer: claims.iss, scopes, expiresAt: claims.exp };
}
