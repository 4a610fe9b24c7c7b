import type { FastifyRequest } from 'fastify';
import { badRequest } from '../../errors/tessera-error.ts';
import type { NewDeployTokenRequest } from '../../tokens/deploy/deploy-token-input.ts';
import { DEPLOY_TOKEN_SCOPES } from '../../tokens/deploy/deploy-token-state.ts';
import { EXPIRY_WARNING_DAYS, MAX_EXPIRY_WARNING_DAYS } from '../../tokens/deploy/expiring-deploy-tokens.ts';
import {
  apiParams,
  apiQuery,
  optionalBoolean,
  optionalInteger,
  optionalString,
  type ApiParams,
} from '../api-params.ts';
import { PAGINATION, parameters } from '../route-parameters.ts';

/* Parsing of the deploy token endpoints' parameters: query or body, JSON or form, as on the platform. */

/** What {@link newDeployTokenRequest} reads. */
export const NEW_DEPLOY_TOKEN_PARAMETERS = parameters(
  {
    name: { type: 'string', required: true, description: 'Name of the deploy token' },
    scopes: {
      type: 'array',
      items: 'string',
      required: true,
      enum: DEPLOY_TOKEN_SCOPES,
      description: 'Scopes of the deploy token',
    },
    expires_at: { type: 'string', format: 'date-time', description: 'Expiry time; none when left out' },
    username: {
      type: 'string',
      description: 'Username for the token; `gitlab+deploy-token-{n}` when left out',
    },
  },
  { in: 'body' },
);

/** What {@link activeParam} reads, with the list's pagination. */
export const DEPLOY_TOKEN_LIST_PARAMETERS = parameters(
  { ...PAGINATION, active: { type: 'boolean', description: 'Only active, or only inactive, tokens' } },
  { in: 'query' },
);

/** What {@link expiringDaysParam} reads, with the list's pagination. */
export const EXPIRING_DEPLOY_TOKEN_PARAMETERS = parameters(
  {
    ...PAGINATION,
    days: { type: 'integer', description: `Days ahead to look (default ${EXPIRY_WARNING_DAYS})` },
  },
  { in: 'query' },
);

/** `scopes` as a JSON array, a comma-separated string, or repeated `scopes[]` form fields. */
function scopesParam(params: ApiParams): string[] {
  const raw = params.scopes ?? params['scopes[]'];
  if (raw === undefined || raw === null) return [];
  const list = Array.isArray(raw) ? raw : [raw];
  if (!list.every((item) => typeof item === 'string')) throw badRequest('scopes', 'is invalid');
  return (list as string[])
    .flatMap((item) => item.split(','))
    .map((s) => s.trim())
    .filter(Boolean);
}

/** A deploy token creation: `name`, `scopes`, `expires_at`, `username`. */
export function newDeployTokenRequest(request: FastifyRequest): NewDeployTokenRequest {
  const params = apiParams(request);
  const parsed: NewDeployTokenRequest = { scopes: scopesParam(params), expiresAt: params.expires_at };
  const name = optionalString(params, 'name');
  if (name !== undefined) parsed.name = name;
  const username = optionalString(params, 'username');
  if (username !== undefined) parsed.username = username;
  return parsed;
}

/** The `active` filter of a listing. */
export function activeParam(request: FastifyRequest): { active?: boolean } {
  const active = optionalBoolean(apiQuery(request), 'active');
  return active === undefined ? {} : { active };
}

/** How many days ahead an expiry listing looks (`days`, default 7). */
export function expiringDaysParam(request: FastifyRequest): number {
  const days = optionalInteger(apiQuery(request), 'days') ?? EXPIRY_WARNING_DAYS;
  if (days < 1 || days > MAX_EXPIRY_WARNING_DAYS) {
    throw badRequest('days', `must be from 1 to ${MAX_EXPIRY_WARNING_DAYS}`);
  }
  return days;
}
