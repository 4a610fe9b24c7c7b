import type { FastifyRequest } from 'fastify';
import { badRequest } from '../../errors/tessera-error.ts';
import type { NewAccessTokenRequest } from '../../tokens/access/access-token-input.ts';
import type { AccessTokenQuery } from '../../tokens/access/list-access-tokens.ts';
import {
  apiParams,
  apiQuery,
  optionalBoolean,
  optionalChoice,
  optionalInteger,
  optionalString,
  type ApiParams,
} from '../api-params.ts';
import { PAGINATION, parameters } from '../route-parameters.ts';

/* Parsing of the access token endpoints' parameters: query or body, JSON or form, as on the platform. */

const TOKEN_CREATION = {
  name: { type: 'string', required: true, description: 'Name of the token' },
  description: { type: 'string', description: 'Description of the token' },
  scopes: { type: 'array', items: 'string', required: true, description: 'Scopes the token holds' },
  expires_at: {
    type: 'string',
    format: 'date',
    description: 'Expiry date (YYYY-MM-DD); the maximum lifetime when left out',
  },
} as const;

/**
 * What {@link newTokenRequest} reads: a personal or impersonation token's creation, classic
 * (`scopes`) or fine-grained (`granular_scopes`, a JSON array or `granular_scopes[][access]` form fields),
 * exactly one of the two.
 */
export const NEW_TOKEN_PARAMETERS = parameters(
  {
    ...TOKEN_CREATION,
    scopes: {
      ...TOKEN_CREATION.scopes,
      required: false,
      description: 'Scopes the token holds (classic token)',
    },
    granular_scopes: {
      type: 'array',
      items: 'object',
      description:
        'Fine-grained token: entries {access, permissions, project_ids?, group_ids?}; access is personal_projects, all_memberships, selected_memberships, user or instance; not with scopes',
    },
  },
  { in: 'body' },
);

/** What {@link newResourceTokenRequest} reads: a project or group access token's creation. */
export const NEW_RESOURCE_TOKEN_PARAMETERS = parameters(
  {
    ...TOKEN_CREATION,
    access_level: {
      type: 'integer',
      description: "Access level of the token's bot user (10, 15, 20, 30, 40, 50; default 40)",
    },
  },
  { in: 'body' },
);

/** What {@link rotationExpiresAt} reads. */
export const ROTATION_PARAMETERS = parameters(
  {
    expires_at: {
      type: 'string',
      format: 'date',
      description: 'Expiry date of the new token; a week from now when left out',
    },
  },
  { in: 'body' },
);

/** What {@link tokenQuery} reads, with the list's pagination. */
export const TOKEN_QUERY_PARAMETERS = parameters(
  {
    ...PAGINATION,
    user_id: { type: 'integer', description: "Only this user's tokens (administrators)" },
    state: { type: 'string', enum: ['active', 'inactive'], description: 'Only active or inactive tokens' },
    revoked: { type: 'boolean', description: 'Only revoked, or only unrevoked, tokens' },
    search: { type: 'string', description: 'Tokens whose name contains this' },
    created_after: { type: 'string', format: 'date-time', description: 'Created after this time' },
    created_before: { type: 'string', format: 'date-time', description: 'Created before this time' },
    expires_after: { type: 'string', format: 'date', description: 'Expiring after this date' },
    expires_before: { type: 'string', format: 'date', description: 'Expiring before this date' },
    last_used_after: { type: 'string', format: 'date-time', description: 'Last used after this time' },
    last_used_before: { type: 'string', format: 'date-time', description: 'Last used before this time' },
  },
  { in: 'query' },
);

/** `scopes` as a JSON array, a comma-separated string, or repeated `scopes[]` form fields. */
function scopesParam(params: ApiParams): string[] {
  const raw = params.scopes ?? params['scopes[]'];
  if (raw === undefined || raw === null) return [];
  const list = Array.isArray(raw) ? raw : [raw];
  if (!list.every((item) => typeof item === 'string')) throw badRequest('scopes', 'is invalid');
  return (list as string[]).flatMap((item) => item.split(','));
}

/** A token creation: `name`, `description`, `scopes`, `expires_at`; `granular_scopes` with `fineGrained`. */
export function newTokenRequest(request: FastifyRequest, fineGrained = false): NewAccessTokenRequest {
  const params = apiParams(request);
  const parsed: NewAccessTokenRequest = {
    scopes: scopesParam(params),
    expiresAt: params.expires_at,
  };
  if (fineGrained && params.granular_scopes !== undefined) parsed.granularScopes = params.granular_scopes;
  const name = optionalString(params, 'name');
  if (name !== undefined) parsed.name = name;
  const description = optionalString(params, 'description');
  if (description !== undefined) parsed.description = description;
  return parsed;
}

/** A project or group access token's creation: a token creation and its bot's `access_level`. */
export function newResourceTokenRequest(
  request: FastifyRequest,
): NewAccessTokenRequest & { accessLevel?: number } {
  const parsed: NewAccessTokenRequest & { accessLevel?: number } = newTokenRequest(request);
  const accessLevel = optionalInteger(apiParams(request), 'access_level');
  if (accessLevel !== undefined) parsed.accessLevel = accessLevel;
  return parsed;
}

/** The optional `expires_at` of a rotation. */
export function rotationExpiresAt(request: FastifyRequest): unknown {
  return apiParams(request).expires_at;
}

/** A numeric path id; anything else becomes NaN, which no token or user has (so: 404). */
export function numericId(raw: string | undefined): number {
  return raw !== undefined && /^\d{1,15}$/.test(raw) ? Number(raw) : NaN;
}

/** An ISO time (or a date, taken as its 00:00 UTC) from the query; the date alone when `dateOnly`. */
export function timeParam(params: ApiParams, name: string, dateOnly = false): string | undefined {
  const raw = optionalString(params, name);
  if (raw === undefined || raw === '') return undefined;
  const time = Date.parse(/^\d{4}-\d{2}-\d{2}$/.test(raw) ? `${raw}T00:00:00Z` : raw);
  if (Number.isNaN(time)) throw badRequest(name, 'is invalid');
  const iso = new Date(time).toISOString();
  return dateOnly ? iso.slice(0, 10) : iso;
}

/** The listing filters of `GET /personal_access_tokens` and the project and group token listings. */
export function tokenQuery(request: FastifyRequest): AccessTokenQuery {
  const params = apiQuery(request);
  return {
    userId: optionalInteger(params, 'user_id'),
    state: optionalChoice(params, 'state', ['active', 'inactive'] as const),
    revoked: optionalBoolean(params, 'revoked'),
    search: optionalString(params, 'search') || undefined,
    createdAfter: timeParam(params, 'created_after'),
    createdBefore: timeParam(params, 'created_before'),
    expiresAfter: timeParam(params, 'expires_after', true),
    expiresBefore: timeParam(params, 'expires_before', true),
    lastUsedAfter: timeParam(params, 'last_used_after'),
    lastUsedBefore: timeParam(params, 'last_used_before'),
  };
}
