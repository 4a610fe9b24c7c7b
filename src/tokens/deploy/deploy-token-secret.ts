import { randomSecret } from '../../crypto/secrets.ts';

/** The type prefix of deploy token secrets: what secret scanners look for. */
export const DEPLOY_TOKEN_PREFIX = 'gldt-';

/** The full prefix this instance's deploy tokens carry: `gldt-`, or `<instance>-gldt-`. */
export function deployTokenPrefix(instancePrefix: string): string {
  return instancePrefix ? `${instancePrefix}-${DEPLOY_TOKEN_PREFIX}` : DEPLOY_TOKEN_PREFIX;
}

/**
 * A fresh deploy token secret: the prefix and 192 random bits. Shown once; the store keeps its digest
 * (and, for `gitlab-deploy-token` only, a sealed copy).
 *
 * @example
 * mintDeployTokenSecret('')     // 'gldt-Vq3…' (32 base64url characters after the prefix)
 * mintDeployTokenSecret('acme') // 'acme-gldt-…'
 */
export function mintDeployTokenSecret(instancePrefix: string): string {
  return `${deployTokenPrefix(instancePrefix)}${randomSecret()}`;
}

/** True when the secret carries the deploy token prefix, with or without the instance prefix. */
export function looksLikeDeployToken(plaintext: string, instancePrefix: string): boolean {
  return plaintext.startsWith(DEPLOY_TOKEN_PREFIX) || plaintext.startsWith(deployTokenPrefix(instancePrefix));
}
