import { RunnerRegistrationTokenInspector, RunnerTokenInspector } from '../ci/runner-tokens.inspector.ts';
import { ciDeps } from '../ci/ci-deps.ts';
import { AccessTokenAuthenticator } from '../tokens/access/access-token.authenticator.ts';
import { accessTokenDeps } from '../tokens/access/access-token-deps.ts';
import { tokenAsPassword, type BasicCredentialResolver } from '../tokens/basic-credentials.ts';
import { deployTokenDeps } from '../tokens/deploy/deploy-token-deps.ts';
import { DeployTokenResolver } from '../tokens/deploy/deploy-token.resolver.ts';
import { DeployTokenInspector } from '../tokens/deploy/deploy-token.inspector.ts';
import { jobTokenDeps } from '../tokens/job/job-token-deps.ts';
import { JobTokenAuthenticator } from '../tokens/job/job-token.authenticator.ts';
import { jobTokenResolver } from '../tokens/job/job-token.resolver.ts';
import { JobTokenInspector } from '../tokens/job/job-token.inspector.ts';
import type { TokenAuthenticator } from '../tokens/token-authenticator.ts';
import { AccessTokenInspector, type TokenInspector } from '../tokens/access/token-inspector.ts';
import { oauthDeps } from '../tokens/oauth/oauth-deps.ts';
import { OAUTH_ACCESS_TOKEN_PREFIX, OAUTH_REFRESH_TOKEN_PREFIX } from '../tokens/oauth/oauth-secrets.ts';
import { OAuthTokenAuthenticator } from '../tokens/oauth/oauth-token.authenticator.ts';
import { OAuthTokenInspector } from '../tokens/oauth/oauth-token.inspector.ts';
import type { InstanceContext } from './instance-context.ts';
import { PipelineTriggerInspector } from '../ci/pipeline-trigger.inspector.ts';

/** Every opaque token kind the instance accepts on its API. Each credential module adds its own here. */
export function tokenAuthenticators(context: InstanceContext): TokenAuthenticator[] {
  return [
    new AccessTokenAuthenticator(accessTokenDeps(context)),
    new JobTokenAuthenticator(jobTokenDeps(context)),
    // OAuth access tokens (`gloat-`): also accepted over HTTP basic below, as the password with the
    // username `oauth2` (any username, like access tokens: the prefix says what the password is).
    new OAuthTokenAuthenticator(oauthDeps(context)),
  ];
}

/**
 * Every kind of HTTP basic credential git and the registry accept, tried in order (the first that
 * claims a username/password pair judges it). Deploy tokens, CI job tokens and OAuth tokens add theirs
 * here; access tokens work as the password with any username.
 */
export function basicCredentialResolvers(context: InstanceContext): BasicCredentialResolver[] {
  const isJobTokens = (a: TokenAuthenticator): a is JobTokenAuthenticator =>
    a instanceof JobTokenAuthenticator;
  const jobTokens = context.tokenAuthenticators.find(isJobTokens);
  return [
    // First: the username `gitlab-ci-token` claims the pair whatever the password looks like; a job
    // token under any other username is claimed by no one (401), as on the platform.
    ...(jobTokens ? [jobTokenResolver(jobTokens)] : []),
    // Deploy tokens: a `gldt-` password, judged with its username.
    new DeployTokenResolver(deployTokenDeps(context)),
    ...context.tokenAuthenticators
      .filter((authenticator) => !isJobTokens(authenticator))
      .map((authenticator) => tokenAsPassword(authenticator, context.settings.tokenPrefix)),
  ];
}

/**
 * Every token kind that can be identified from its plaintext (the admin token API, the web UI's token
 * inspector). Each credential module adds its inspector here.
 */
export function tokenInspectors(context: InstanceContext): TokenInspector[] {
  return [
    new AccessTokenInspector(accessTokenDeps(context)),
    new DeployTokenInspector(deployTokenDeps(context)),
    new JobTokenInspector(ciDeps(context)),
    new PipelineTriggerInspector(ciDeps(context)),
    new RunnerTokenInspector(ciDeps(context)),
    new RunnerRegistrationTokenInspector(ciDeps(context)),
    new OAuthTokenInspector(oauthDeps(context), OAUTH_ACCESS_TOKEN_PREFIX),
    new OAuthTokenInspector(oauthDeps(context), OAUTH_REFRESH_TOKEN_PREFIX),
  ];
}
