import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Actor } from '../../audit/audit-log.ts';
import { TesseraError } from '../../errors/tessera-error.ts';
import type { OAuthApplication } from '../../store/oauth.tables.ts';
import { parseBasicAuthorization } from '../../tokens/basic-credentials.ts';
import type { ClientCredentials } from '../../tokens/oauth/client-authentication.ts';
import { OAuthError } from '../../tokens/oauth/oauth-error.ts';
import { errorBody } from '../error-handler.ts';
import { declaredView } from '../route-parameters.ts';

/*
 * What the OAuth endpoints share at the HTTP boundary: reading form parameters and client credentials
 * the ways RFC 6749 allows, and answering errors in the RFC's shape rather than GitLab's REST shape.
 */

export type FormParams = Record<string, unknown>;

/**
 * The request body's parameters (form-encoded, or JSON as GitLab also accepts); never the query string.
 * Only the names the route declares may be read (route-parameters.ts).
 */
export function formParams(request: FastifyRequest): FormParams {
  const body = request.body;
  return declaredView(
    request,
    body !== null && typeof body === 'object' && !Array.isArray(body) ? (body as FormParams) : {},
  );
}

/** A single string parameter; an array (the parameter repeated) is a malformed request (RFC 6749 §3.1). */
export function param(params: FormParams, name: string): string | undefined {
  const value = params[name];
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string')
    throw new OAuthError('invalid_request', `The parameter ${name} is malformed.`);
  return value;
}

/** A parameter that may be repeated (RFC 8693's `audience`); undefined when absent. */
export function repeated(params: FormParams, name: string): string[] | undefined {
  const value = params[name];
  if (value === undefined || value === null || value === '') return undefined;
  const values = Array.isArray(value) ? value : [value];
  if (!values.every((v) => typeof v === 'string' && v !== ''))
    throw new OAuthError('invalid_request', `The parameter ${name} is malformed.`);
  return values as string[];
}

/**
 * The client credentials of a request: HTTP basic (`client_secret_basic`, whose parts are
 * form-encoded, RFC 6749 §2.3.1) or `client_id`/`client_secret` fields (`client_secret_post`); a public
 * client sends only `client_id`. Using both methods at once is refused.
 */
export function clientCredentialsOf(request: FastifyRequest, params: FormParams): ClientCredentials {
  const header = request.headers.authorization;
  const basic =
    typeof header === 'string' && /^Basic\s/i.test(header) ? parseBasicAuthorization(header) : undefined;
  if (typeof header === 'string' && /^Basic\s/i.test(header) && !basic) {
    throw new OAuthError('invalid_client', 'The Authorization header is malformed.', true);
  }
  const bodyId = param(params, 'client_id');
  const bodySecret = param(params, 'client_secret');
  if (!basic) return { clientId: bodyId, clientSecret: bodySecret, viaBasic: false };
  if (bodySecret !== undefined) {
    throw new OAuthError('invalid_request', 'Use one client authentication method, not several.');
  }
  const clientId = formDecode(basic.username);
  if (bodyId !== undefined && bodyId !== clientId) {
    throw new OAuthError('invalid_client', 'The client_id does not match the authenticated client.', true);
  }
  return { clientId, clientSecret: formDecode(basic.password), viaBasic: true };
}

function formDecode(value: string): string {
  try {
    return decodeURIComponent(value.replace(/\+/g, ' '));
  } catch {
    return value;
  }
}

/** The audit actor of a request a client makes on its own (the token endpoint): the application. */
export function clientActor(request: FastifyRequest, application: OAuthApplication): Actor {
  return { userId: null, name: `oauth_application:${application.id}`, ip: request.ip ?? null };
}

/** Token responses and errors must never be cached (RFC 6749 §5.1). */
export function noStore(reply: FastifyReply): void {
  void reply.header('cache-control', 'no-store').header('pragma', 'no-cache');
}

/**
 * Answers errors of the plugin's routes in the RFC's form: our OAuth errors as they are (with a Basic
 * challenge when the client tried basic authentication, RFC 6749 §5.2), a dead bearer token as
 * `invalid_token` with its challenge (RFC 6750 §3), a malformed body as `invalid_request`, anything
 * else as the rest of the API answers it.
 */
export function installOAuthErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError | TesseraError | OAuthError, request, reply) => {
    noStore(reply);
    if (error instanceof OAuthError) {
      if (error.basicChallenge) void reply.header('www-authenticate', 'Basic realm="tessera"');
      if (error.error === 'invalid_token' || error.error === 'insufficient_scope') {
        void reply.header('www-authenticate', `Bearer realm="tessera", error="${error.error}"`);
      }
      return reply.status(error.status).send(error.toJSON());
    }
    if (error instanceof TesseraError) {
      if (error.code === 'unauthorized') {
        const invalid = new OAuthError('invalid_token', 'The access token is invalid, expired or revoked.');
        void reply.header('www-authenticate', 'Bearer realm="tessera", error="invalid_token"');
        return reply.status(401).send(invalid.toJSON());
      }
      if (error.details.retryAfterSeconds !== undefined) {
        void reply.header('retry-after', String(error.details.retryAfterSeconds));
      }
      return reply.status(error.status).send(errorBody(error));
    }
    const status = (error as FastifyError).statusCode;
    if (status !== undefined && status >= 400 && status < 500) {
      return reply.status(400).send(new OAuthError('invalid_request', 'The request is malformed.').toJSON());
    }
    request.log.error({ err: error }, 'OAuth request failed');
    return reply.status(500).send(new OAuthError('server_error', 'The server failed to answer.').toJSON());
  });
}
