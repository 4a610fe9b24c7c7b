import type { KeyManager } from '../../keys/key-manager.ts';
import type { IdTokenClaims } from './id-token-claims.ts';
import { subjectFor } from './sub-claim.ts';

/** The instance role signs ID tokens: its JWKS is what `/.well-known/openid-configuration` leads to. */
const SIGNING_ROLE = 'instance';

type Signer = Pick<KeyManager, 'signJwt'>;

/** One minted token, named by the variable the job receives it in. */
export interface MintedIdToken {
  variable: string;
  token: string;
}

/**
 * One ID token per `id_tokens:` entry, each with its own `aud` (a single audience as a plain string,
 * as cloud verifiers expect), the shared claim set and `sub`, valid for the job's timeout.
 *
 * @example
 * await mintIdTokens(keys, claims, sub, { AWS_TOKEN: { aud: ['sts.amazonaws.com'] } }, 3600);
 */
export async function mintIdTokens(
  keys: Signer,
  claims: IdTokenClaims,
  subject: string,
  requests: Readonly<Record<string, { aud: readonly string[] }>>,
  lifetimeSeconds: number,
): Promise<MintedIdToken[]> {
  return Promise.all(
    Object.entries(requests).map(async ([variable, { aud }]) => ({
      variable,
      token: await keys.signJwt(SIGNING_ROLE, claims, {
        typ: 'JWT',
        expiresInSeconds: lifetimeSeconds,
        audience: aud.length === 1 ? aud[0]! : [...aud],
        subject,
      }),
    })),
  );
}

/**
 * The legacy `CI_JOB_JWT` (= `_V1`: `iss` is the bare host, `sub` is `job_<id>`, no `aud`, as Vault's
 * first integration expected) and `CI_JOB_JWT_V2` (`iss` and `aud` the instance URL, the project-path
 * `sub` cloud trust policies match), for projects that turned compatibility on.
 */
export async function mintLegacyJobJwts(
  keys: Signer,
  claims: IdTokenClaims,
  options: { jobId: number; externalUrl: string; lifetimeSeconds: number },
): Promise<MintedIdToken[]> {
  const v1 = await keys.signJwt(SIGNING_ROLE, claims, {
    typ: 'JWT',
    expiresInSeconds: options.lifetimeSeconds,
    issuer: new URL(options.externalUrl).host,
    subject: `job_${options.jobId}`,
  });
  const v2 = await keys.signJwt(SIGNING_ROLE, claims, {
    typ: 'JWT',
    expiresInSeconds: options.lifetimeSeconds,
    audience: options.externalUrl,
    subject: subjectFor(claims),
  });
  return [
    { variable: 'CI_JOB_JWT', token: v1 },
    { variable: 'CI_JOB_JWT_V1', token: v1 },
    { variable: 'CI_JOB_JWT_V2', token: v2 },
  ];
}
