import type { JSONWebKeySet } from 'jose';
import {
  inspectorFor,
  type TokenInspection,
  type TokenInspector,
} from '../../tokens/access/token-inspector.ts';
import { inspectJwt, looksLikeJwt, type JwtInspection } from './jwt-checks.ts';

/** The platform's opaque token prefixes, so a pasted secret is at least named when no inspector knows it. */
const KNOWN_PREFIXES: ReadonlyArray<readonly [string, string]> = [
  ['glpat-', 'personal, project or group access token'],
  ['gloas-', 'OAuth application secret'],
  ['gloat-', 'OAuth access token'],
  ['glort-', 'OAuth refresh token'],
  ['gldt-', 'deploy token'],
  ['glrt-', 'runner authentication token'],
  ['glcbt-', 'CI job token'],
  ['glptt-', 'pipeline trigger token'],
  ['GR1348941', 'runner registration token'],
  ['glft-', 'feed token'],
  ['glimt-', 'incoming mail token'],
  ['glagent-', 'Kubernetes agent token'],
  ['glsoat-', 'SCIM token'],
  ['glffct-', 'feature flags client token'],
];

/** Longer than any credential Tessera issues or signs; refused before any work. */
export const MAX_CREDENTIAL_LENGTH = 8192;

export type CredentialInspection =
  | { kind: 'jwt'; jwt: JwtInspection }
  /** A recognised prefix; `found` is null when no such token exists, `supported` false when no inspector knows the type. */
  | { kind: 'opaque'; type: string; prefix: string; supported: boolean; found: TokenInspection | null }
  | { kind: 'unknown' };

export interface CredentialInspectionDeps {
  inspectors: readonly TokenInspector[];
  instancePrefix: string;
  jwks: () => Promise<JSONWebKeySet>;
  issuer: string;
  now: () => Date;
}

/**
 * What a pasted credential is: a JWT (decoded, with each check), an opaque token recognised by its
 * prefix (looked up by its digest when an inspector knows the type), or nothing we know. The value is
 * only read: it is not stored, logged, or part of the result.
 */
export async function inspectCredential(
  value: string,
  deps: CredentialInspectionDeps,
  options: { audience?: string } = {},
): Promise<CredentialInspection> {
  if (value.length === 0 || value.length > MAX_CREDENTIAL_LENGTH) return { kind: 'unknown' };
  if (looksLikeJwt(value)) {
    const jwt = await inspectJwt(value, {
      jwks: await deps.jwks(),
      issuer: deps.issuer,
      now: deps.now(),
      ...(options.audience ? { audience: options.audience } : {}),
    });
    return { kind: 'jwt', jwt };
  }
  const bare =
    deps.instancePrefix && value.startsWith(`${deps.instancePrefix}-`)
      ? value.slice(deps.instancePrefix.length + 1)
      : value;
  const inspector = inspectorFor(deps.inspectors, value, deps.instancePrefix);
  const known = KNOWN_PREFIXES.find(([prefix]) => bare.startsWith(prefix));
  // An inspector knows its own prefix even when the table above does not (OAuth tokens, say).
  const prefix = inspector?.prefix ?? known?.[0];
  if (prefix === undefined) return { kind: 'unknown' };
  return {
    kind: 'opaque',
    prefix,
    type: known?.[1] ?? `token with prefix ${prefix}`,
    supported: inspector !== undefined,
    found: inspector ? await inspector.inspect(value) : null,
  };
}
