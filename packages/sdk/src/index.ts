/**
 * `@tessera/sdk`: verify Cloud Connector tokens and sign user-level ones. Adapters live in
 * `@tessera/sdk/fastify` and `@tessera/sdk/grpc`.
 * @module
 */
export { requireScopes, type CloudConnectorClaims, type ScopeMatch } from './claims.ts';
export {
  createVerifier,
  MAX_TOKEN_BYTES,
  type Verifier,
  type VerifierAlgorithm,
  type VerifierOptions,
  type VerifyOptions,
} from './create-verifier.ts';
export { SdkError, type SdkErrorCode, type SdkErrorReason } from './errors.ts';
export { bearerToken, checkGitlabHeaders, type GitlabHeaders } from './gitlab-headers.ts';
export { issueUserToken, type UserTokenRequest } from './issue-user-token.ts';
export type { FetchLike, IssuerConfig } from './issuer-key-set.ts';
export {
  TokenAuthority,
  type AuthorityAlgorithm,
  type SignedToken,
  type SignOptions,
  type TokenAuthorityOptions,
  type UserTokenSigner,
} from './token-authority.ts';
