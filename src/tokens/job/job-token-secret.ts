import { randomSecret } from '../../crypto/secrets.ts';

/** The type prefix of CI job tokens. */
export const JOB_TOKEN_PREFIX = 'glcbt-';
/** The username that stands for a job token in HTTP basic credentials (git, registry). */
export const JOB_TOKEN_USERNAME = 'gitlab-ci-token';

/** The full prefix of this instance's job tokens: `glcbt-`, or `<instance>-glcbt-`. */
export function jobTokenPrefix(instancePrefix: string): string {
  return instancePrefix ? `${instancePrefix}-${JOB_TOKEN_PREFIX}` : JOB_TOKEN_PREFIX;
}

/** A fresh job token: handed to the runner once, kept only as a digest. */
export function mintJobToken(instancePrefix: string): string {
  return `${jobTokenPrefix(instancePrefix)}${randomSecret()}`;
}

export function looksLikeJobToken(plaintext: string, instancePrefix: string): boolean {
  return plaintext.startsWith(JOB_TOKEN_PREFIX) || plaintext.startsWith(jobTokenPrefix(instancePrefix));
}
