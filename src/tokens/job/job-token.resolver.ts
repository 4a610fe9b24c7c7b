import type { BasicCredentialResolver } from '../basic-credentials.ts';
import type { JobTokenAuthenticator } from './job-token.authenticator.ts';
import { JOB_TOKEN_USERNAME } from './job-token-secret.ts';

/**
 * HTTP basic credentials `gitlab-ci-token:<job token>` (git clone, registry login). The username claims
 * the pair whatever the password is, so a wrong password is a 401 and never falls through to another
 * kind of credential.
 */
export function jobTokenResolver(authenticator: JobTokenAuthenticator): BasicCredentialResolver {
  return {
    claims: (username) => username === JOB_TOKEN_USERNAME,
    async resolve(_username, password) {
      const principal = await authenticator.authenticate(password);
      return principal ? { type: 'user', principal } : null;
    },
  };
}
