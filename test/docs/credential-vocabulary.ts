/**
 * The credential names flow diagrams may use inside `[…]` on a request arrow, each with how the
 * server recognises it. Derived from the authentication code: `src/http/authenticate.ts`
 * (`presentedToken`, the session cookie), `src/runtime/token-authenticators.ts` (token kinds by
 * prefix, basic-credential resolvers in order), `src/tokens/basic-credentials.ts`, the route files
 * that read credentials themselves (git, `/jwt/auth`, the runner API, OAuth client authentication,
 * the license authority) and the SDK's Fastify plugin and gRPC interceptor (JWTs by issuer).
 *
 * `docs/flows/README.md` shows this table; `flow-diagrams.test.ts` fails when the two differ, and
 * proves each term (except the ones only third parties accept) against a running world.
 */
export interface CredentialTerm {
  /** How a request carries it and what the server looks for. */
  readonly recognised: string;
  /** The code that recognises it. */
  readonly code: string;
  /**
   * What a refusal of this credential looks like: HTTP statuses (401 nearly everywhere; the runner API
   * answers 403 as the platform does; an unknown activation code is 404), or the gRPC status name.
   */
  readonly refusal: readonly (number | 'UNAUTHENTICATED')[];
  /** Accepted only by third parties (the container registry, a cloud, a cluster): never probed. */
  readonly external?: true;
}

const HTTP_401 = [401] as const;
const GRPC = ['UNAUTHENTICATED'] as const;

export const CREDENTIALS = {
  none: {
    recognised: 'no credential at all: a public endpoint, or anonymous access to public projects',
    code: 'src/http/authenticate.ts (principal stays null)',
    refusal: HTTP_401,
  },
  session: {
    recognised:
      'cookie `_tessera_session` (HMAC digest looked up in `sessions`); state-changing requests also carry the CSRF token as `X-CSRF-Token` or `authenticity_token`',
    code: 'src/http/session-authentication.ts',
    refusal: HTTP_401,
  },
  'form: password': {
    recognised:
      '`user[login]` + `user[password]` form fields (or JSON `login`/`password`) on the sign-in endpoint',
    code: 'src/http/routes/sessions.routes.ts',
    refusal: HTTP_401,
  },
  'basic: password': {
    recognised:
      "HTTP basic `username:password` with the user's own password; only `/jwt/auth`, only with `TESSERA_REGISTRY_PASSWORD_AUTH=true`",
    code: 'src/registry/password-credentials.resolver.ts',
    refusal: HTTP_401,
  },
  'PRIVATE-TOKEN: PAT': {
    recognised:
      'header `PRIVATE-TOKEN: glpat-…` (personal, project or group access token; also `private_token` query)',
    code: 'src/http/authenticate.ts → src/tokens/access/access-token.authenticator.ts',
    refusal: HTTP_401,
  },
  'bearer: PAT': {
    recognised: 'header `Authorization: Bearer glpat-…`',
    code: 'src/http/authenticate.ts → src/tokens/access/access-token.authenticator.ts',
    refusal: HTTP_401,
  },
  'basic: PAT': {
    recognised: 'HTTP basic, any username, password `glpat-…` (git over HTTP, `/jwt/auth`)',
    code: 'src/tokens/basic-credentials.ts (tokenAsPassword)',
    refusal: HTTP_401,
  },
  'bearer: OAuth': {
    recognised: 'header `Authorization: Bearer gloat-…` (OAuth access token; also `access_token` query)',
    code: 'src/tokens/oauth/oauth-token.authenticator.ts',
    refusal: HTTP_401,
  },
  'basic: OAuth': {
    recognised: 'HTTP basic, username `oauth2` (any), password `gloat-…` (git, `/jwt/auth`)',
    code: 'src/tokens/basic-credentials.ts (tokenAsPassword)',
    refusal: HTTP_401,
  },
  'bearer: composite OAuth': {
    recognised:
      'header `Authorization: Bearer gloat-…` of a token owned by a service account with scope `user:<id>`: every permission decided for both',
    code: 'src/tokens/oauth/oauth-token.authenticator.ts, src/identity/composite-identity.ts',
    refusal: HTTP_401,
  },
  'basic: composite OAuth': {
    recognised: 'HTTP basic, username `oauth2`, password the composite `gloat-…` token',
    code: 'src/tokens/basic-credentials.ts (tokenAsPassword)',
    refusal: HTTP_401,
  },
  'JOB-TOKEN': {
    recognised:
      'header `JOB-TOKEN: glcbt-…` (also `job_token` query or form field) of a running job; only on the job-token endpoint set',
    code: 'src/tokens/job/job-token.authenticator.ts, src/http/routes/job-token-boundary.ts',
    refusal: HTTP_401,
  },
  'basic: job token': {
    recognised: 'HTTP basic, username `gitlab-ci-token`, password `glcbt-…` (git clone, `/jwt/auth`)',
    code: 'src/tokens/job/job-token.resolver.ts',
    refusal: HTTP_401,
  },
  'body: job token': {
    recognised: 'field `token` of the runner API body (`PUT /api/v4/jobs/:id`), or `JOB-TOKEN` there',
    code: 'src/http/routes/runner-api.routes.ts',
    refusal: [403],
  },
  'body: runner token': {
    recognised: 'field `token: glrt-…` of the runner API body',
    code: 'src/http/routes/runner-api.routes.ts, src/ci/runner.service.ts',
    refusal: [403],
  },
  'basic: deploy token': {
    recognised: "HTTP basic, username = the deploy token's username, password `gldt-…` (never the REST API)",
    code: 'src/tokens/deploy/deploy-token.resolver.ts',
    refusal: HTTP_401,
  },
  'basic: OAuth client': {
    recognised:
      'HTTP basic `client_id:gloas-…` (or `client_id` + `client_secret` fields) on the OAuth endpoints',
    code: 'src/tokens/oauth/client-authentication.ts',
    refusal: HTTP_401,
  },
  'form: public client': {
    recognised:
      '`client_id` field alone, for a public (non-confidential) application; PKCE stands in for the secret',
    code: 'src/tokens/oauth/client-authentication.ts',
    refusal: HTTP_401,
  },
  'bearer: authority admin token': {
    recognised: "header `Authorization: Bearer tslaa-…` on the license authority's `/api/v1/admin/*`",
    code: 'src/http/routes/license-authority-admin.routes.ts',
    refusal: HTTP_401,
  },
  'body: activation code': {
    recognised:
      "field `activation_code` (+ `instance_id`) on the license authority's `POST /api/v1/activate`",
    code: 'src/cloud/license-authority/activate-license.ts',
    refusal: [404],
  },
  'bearer: license key': {
    recognised:
      "header `Authorization: Bearer tslk-…` on the license authority's `POST /api/v1/instance_tokens`",
    code: 'src/cloud/license-authority/issue-instance-token.ts',
    refusal: HTTP_401,
  },
  'bearer: instance token': {
    recognised:
      'header (gRPC metadata) `authorization: Bearer <JWT>` signed by the license authority or a SaaS instance: `aud` the service, `sub` the instance UUID, `scopes` unit primitives',
    code: 'packages/sdk/src/fastify.ts, packages/sdk/src/grpc.ts (createVerifier)',
    refusal: [401, 'UNAUTHENTICATED'],
  },
  'bearer: user AI token': {
    recognised:
      'header `Authorization: Bearer <JWT>` signed by the instance (`iss` its URL, `aud` gitlab-ai-gateway, `sub` the global user id)',
    code: 'packages/sdk/src/fastify.ts; minted in src/cloud/instance/user-ai-token.service.ts',
    refusal: HTTP_401,
  },
  'bearer: gateway user token': {
    recognised:
      'header `Authorization: Bearer <JWT>` signed by the AI gateway itself (`iss` = `aud` = gitlab-ai-gateway)',
    code: 'src/services/ai-gateway/user-access-token.route.ts',
    refusal: HTTP_401,
  },
  'bearer: workflow-service user token': {
    recognised:
      'gRPC metadata `authorization: Bearer <JWT>` signed by the workflow service (`iss` = `aud` = gitlab-duo-workflow-service)',
    code: 'src/services/workflow-service/generate-token.handler.ts, packages/sdk/src/grpc.ts',
    refusal: GRPC,
  },
  'bearer: registry token': {
    recognised:
      'header `Authorization: Bearer <JWT>` from `/jwt/auth`, checked by the container registry (libtrust `kid`, `aud` = service)',
    code: 'src/registry/registry-token.service.ts (minted; verified by the registry)',
    refusal: HTTP_401,
    external: true,
  },
  'body: ID token': {
    recognised:
      'a CI ID token JWT in the request body of a cloud (`WebIdentityToken=` for AWS STS, `jwt` for Vault)',
    code: 'src/tokens/id-token/mint-id-tokens.ts (minted; verified by the cloud)',
    refusal: HTTP_401,
    external: true,
  },
  'cluster credential': {
    recognised: "the cluster's own credential (kubeconfig): nothing Tessera issues",
    code: '—',
    refusal: HTTP_401,
    external: true,
  },
} as const satisfies Record<string, CredentialTerm>;

export type CredentialName = keyof typeof CREDENTIALS;

/** A credential name's entry, or undefined when the name is not in the vocabulary. */
export function credentialTerm(name: string): CredentialTerm | undefined {
  return Object.hasOwn(CREDENTIALS, name) ? CREDENTIALS[name as CredentialName] : undefined;
}

/**
 * States a diagram may give a credential after a comma (`[JOB-TOKEN, job finished]`): the request
 * carries a credential of that kind that no longer works, and must be refused.
 */
export const DEAD_STATES = ['revoked', 'expired', 'job finished', 'wrong'] as const;

/** The Tessera roles a diagram participant may stand for (`%% tessera: I=instance, …`). */
export const TESSERA_ROLES = ['instance', 'license-authority', 'ai-gateway', 'workflow-service'] as const;
export type TesseraRole = (typeof TESSERA_ROLES)[number];
