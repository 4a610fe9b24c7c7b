import {
  compactVerify,
  createLocalJWKSet,
  decodeJwt,
  decodeProtectedHeader,
  type JSONWebKeySet,
  type JWTPayload,
  type ProtectedHeaderParameters,
} from 'jose';

/** One check of a JWT, as the inspector shows it. */
export interface JwtCheck {
  name: 'signature' | 'iss' | 'aud' | 'time';
  pass: boolean;
  detail: string;
}

export interface JwtInspection {
  /** What the token looks like it is, from its header and claims. */
  kind: string;
  header: ProtectedHeaderParameters;
  claims: JWTPayload;
  checks: JwtCheck[];
}

export interface JwtExpectations {
  /** The instance's published keys. */
  jwks: JSONWebKeySet;
  /** The instance's `iss` (its external URL). */
  issuer: string;
  /** The audience the inspector was asked to expect; when absent, any present `aud` passes. */
  audience?: string;
  now: Date;
}

/** Algorithms Tessera signs with; anything else (`none`, HMAC) cannot be one of its tokens. */
const ALGORITHMS = ['RS256', 'ES256'];
/** A token issued on a replica whose clock runs a little ahead is not "from the future". */
const IAT_SKEW_SECONDS = 60;
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

/** True when the value has the shape of a compact JWS with a readable header. */
export function looksLikeJwt(value: string): boolean {
  if (!COMPACT_JWS.test(value)) return false;
  try {
    return typeof decodeProtectedHeader(value).alg === 'string';
  } catch {
    return false;
  }
}

/**
 * Decodes a JWT and runs each check on its own, so the inspector can say which one fails: the
 * signature against the instance's JWKS, `iss`, `aud` and the time claims. A tampered token fails its
 * signature while its claims still show.
 *
 * @example
 * const { checks } = await inspectJwt(jwt, { jwks: await keys.jwks('instance'), issuer, now: new Date() });
 * checks.every((check) => check.pass); // true for a token the instance signed, still valid
 */
export async function inspectJwt(token: string, expected: JwtExpectations): Promise<JwtInspection> {
  const header = decodeProtectedHeader(token);
  let claims: JWTPayload = {};
  let readable = true;
  try {
    claims = decodeJwt(token);
  } catch {
    readable = false;
  }
  const checks = [
    await signatureCheck(token, expected.jwks),
    readable ? issuerCheck(claims, expected.issuer) : unreadable('iss'),
    readable ? audienceCheck(claims, expected.audience) : unreadable('aud'),
    readable ? timeCheck(claims, expected.now) : unreadable('time'),
  ];
  return { kind: jwtKind(header, claims), header, claims, checks };
}

const unreadable = (name: JwtCheck['name']): JwtCheck => ({
  name,
  pass: false,
  detail: 'the payload is not a JSON claims set',
});

async function signatureCheck(token: string, jwks: JSONWebKeySet): Promise<JwtCheck> {
  try {
    const { protectedHeader } = await compactVerify(token, createLocalJWKSet(jwks), {
      algorithms: ALGORITHMS,
    });
    return {
      name: 'signature',
      pass: true,
      detail: `verified with the instance key ${protectedHeader.kid ?? '(no kid)'}`,
    };
  } catch (error) {
    const code = (error as { code?: string }).code;
    const detail =
      code === 'ERR_JWKS_NO_MATCHING_KEY'
        ? 'no key of the instance JWKS matches its kid and alg (another issuer, or a removed key)'
        : code === 'ERR_JOSE_ALG_NOT_ALLOWED'
          ? `algorithm not accepted (only ${ALGORITHMS.join(', ')})`
          : 'the signature does not match the token (tampered with, or signed by another key)';
    return { name: 'signature', pass: false, detail };
  }
}

function issuerCheck(claims: JWTPayload, issuer: string): JwtCheck {
  if (claims.iss === undefined) return { name: 'iss', pass: false, detail: `missing; expected ${issuer}` };
  return claims.iss === issuer
    ? { name: 'iss', pass: true, detail: `${claims.iss} is this instance` }
    : { name: 'iss', pass: false, detail: `${String(claims.iss)} is not this instance (${issuer})` };
}

function audienceCheck(claims: JWTPayload, audience: string | undefined): JwtCheck {
  const auds = claims.aud === undefined ? [] : Array.isArray(claims.aud) ? claims.aud : [claims.aud];
  if (auds.length === 0) return { name: 'aud', pass: false, detail: 'no aud claim' };
  if (audience === undefined) {
    return { name: 'aud', pass: true, detail: `present (${auds.join(', ')}); no expected audience given` };
  }
  return auds.includes(audience)
    ? { name: 'aud', pass: true, detail: `includes ${audience}` }
    : { name: 'aud', pass: false, detail: `${auds.join(', ')} does not include ${audience}` };
}

function timeCheck(claims: JWTPayload, now: Date): JwtCheck {
  const at = Math.floor(now.getTime() / 1000);
  const iso = (seconds: number) => new Date(seconds * 1000).toISOString();
  if (typeof claims.exp !== 'number') return { name: 'time', pass: false, detail: 'no exp claim' };
  if (claims.exp <= at) return { name: 'time', pass: false, detail: `expired at ${iso(claims.exp)}` };
  if (typeof claims.nbf === 'number' && claims.nbf > at) {
    return { name: 'time', pass: false, detail: `not valid before ${iso(claims.nbf)}` };
  }
  if (typeof claims.iat === 'number' && claims.iat > at + IAT_SKEW_SECONDS) {
    return { name: 'time', pass: false, detail: `issued in the future (${iso(claims.iat)})` };
  }
  return { name: 'time', pass: true, detail: `valid until ${iso(claims.exp)}` };
}

/** A best guess from the claims each kind of Tessera JWT carries; it decides nothing. */
function jwtKind(header: ProtectedHeaderParameters, claims: JWTPayload): string {
  if (typeof claims.job_id === 'string' && typeof claims.pipeline_id === 'string') return 'CI ID token';
  if (Array.isArray(claims.access)) return 'container registry token';
  if (typeof claims.gitlab_realm === 'string') return 'Cloud Connector token (instance or user AI token)';
  if (header.typ === 'at+jwt') return 'OAuth access token (JWT)';
  return 'JWT';
}
