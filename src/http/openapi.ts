import type { FastifyInstance, FastifySchema } from 'fastify';
import swagger from '@fastify/swagger';
import { GITLAB_API_VERSION, TESSERA_VERSION } from '../runtime/version.ts';
import { exempt } from './route-permission.ts';

/*
 * The OpenAPI 3.1 document of the instance, generated from the route table as Fastify registers it:
 * every route appears, with the parameters it declares (route-parameters.ts) and the path parameters its
 * URL names.
 * The schemas here only describe; the routes read and check their parameters themselves (in the
 * platform's error shapes), so nothing declared for the document changes how a request is served.
 */

export const OPENAPI_PATH = '/api/v4/openapi.json';

const MESSAGE = {
  type: 'object',
  properties: {
    message: {
      oneOf: [
        { type: 'string' },
        { type: 'object', additionalProperties: { type: 'array', items: { type: 'string' } } },
      ],
    },
    error: { type: 'string' },
  },
} as const;

const SCOPE_ERROR = {
  type: 'object',
  properties: {
    error: { type: 'string', enum: ['insufficient_scope'] },
    error_description: { type: 'string' },
    scope: { type: 'string' },
  },
  required: ['error'],
} as const;

/** Which kinds of route answer which errors; every one may answer 401 and 404. */
const ERROR_RESPONSES = {
  400: { description: 'A parameter is missing or invalid', ...MESSAGE },
  401: { description: 'No credential, or one that is unknown, expired or revoked', ...MESSAGE },
  403: { description: 'Not allowed, or the credential lacks a scope', oneOf: [MESSAGE, SCOPE_ERROR] },
  404: { description: 'Absent, or hidden from the caller', ...MESSAGE },
};

/** The ways a request may carry a credential, as the platform accepts them. */
const SECURITY_SCHEMES = {
  private_token: {
    type: 'apiKey',
    in: 'header',
    name: 'PRIVATE-TOKEN',
    description: 'A personal, project or group access token',
  },
  job_token: {
    type: 'apiKey',
    in: 'header',
    name: 'JOB-TOKEN',
    description: "A CI job's token, on the job-token endpoint set",
  },
  bearer: { type: 'http', scheme: 'bearer', description: 'An OAuth access token or any access token' },
  basic: {
    type: 'http',
    scheme: 'basic',
    description: 'Git over HTTP and the registry: a token as the password',
  },
  sudo: {
    type: 'apiKey',
    in: 'header',
    name: 'Sudo',
    description:
      "With an administrator's token carrying the `sudo` scope: act as this user (id or username); also the `sudo` parameter",
  },
} as const;

/** Every body is read in each of the encodings GitLab's clients and docs use (request-conventions.ts). */
const BODY_ENCODINGS = ['application/json', 'application/x-www-form-urlencoded', 'multipart/form-data'];

/** Path parameters the URL names (`:id`), documented as strings: ids and URL-encoded full paths alike. */
function pathParameters(url: string): FastifySchema['params'] | undefined {
  const names = [...url.matchAll(/:([A-Za-z_]\w*)/g)].map((match) => match[1]!);
  if (names.length === 0) return undefined;
  return {
    type: 'object',
    properties: Object.fromEntries(names.map((name) => [name, { type: 'string' }])),
    required: names,
  };
}

/** A trailing wildcard (`/help/*`) as the named parameter OpenAPI needs: `/help/:path`. */
export function documentedUrl(url: string): string {
  return url.replace(/\*$/, ':path');
}

/** Registers the generator (before any route, so it sees them all) and serves the document. */
export async function installOpenApi(app: FastifyInstance, externalUrl: string): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Tessera',
        version: TESSERA_VERSION,
        description: `The credential authority's REST API, following GitLab ${GITLAB_API_VERSION}'s (see docs/gitlab-compatibility.md).`,
      },
      servers: [{ url: externalUrl }],
      components: { securitySchemes: SECURITY_SCHEMES as never },
      security: [
        { private_token: [] },
        { job_token: [] },
        { bearer: [] },
        { basic: [] },
        { private_token: [], sudo: [] },
        {},
      ],
    },
    transform: ({ schema, url: routeUrl }) => {
      const url = documentedUrl(routeUrl);
      const documented: FastifySchema = { ...schema };
      documented.params ??= pathParameters(url);
      if (documented.body) documented.consumes ??= BODY_ENCODINGS;
      documented.response ??= { 200: { description: 'Success' }, ...ERROR_RESPONSES };
      return { schema: documented, url };
    },
  });
  app.get(OPENAPI_PATH, { config: exempt('the API’s description, public like the docs') }, async () =>
    app.swagger(),
  );
}
