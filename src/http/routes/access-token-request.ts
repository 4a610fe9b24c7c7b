import type { FastifyRequest } from 'fastify';
import { badRequest } from '../../errors/tessera-error.ts';
import type { NewAccessTokenRequest } from '../../tokens/access/access-token-input.ts';
import type { AccessTokenQuery } from '../../tokens/access/list-access-tokens.ts';
import {
  apiParams,
  optionalBoolean,
  optionalChoice,
  optionalInteger,
  optionalString,
  type ApiParams,
} from '../api-params.ts';

/* Parsing of the access token endpoints' parameters: query or body, JSON or form, as on the platform. */

/** `scopes` as a JSON array, a comma-separated string, or repeated `scopes[]` form fields. */
function scopesParam(params: ApiParams): string[] {
  const raw = params.scopes ?? params['scopes[]'];
  if (raw === undefined || raw === null) return [];
  const list = Array.isArray(raw) ? raw : [raw];
  if (!list.every((item) => typeof item === 'string')) throw badRequest('scopes', 'is invalid');
  return (list as string[]).flatMap((item) => item.split(','));
}

/** A token creation: `name`, `description`, `scopes`, `expires_at`, and `access_level` for bot tokens. */
export function newTokenRequest(request: FastifyRequest): NewAccessTokenRequest & { accessLevel?: number } {
  const params = apiParams(request);
  const parsed: NewAccessTokenRequest & { accessLevel?: number } = {
    scopes: scopesParam(params),
    expiresAt: params.expires_at,
  };
  const name = optionalString(params, 'name');
  if (name !== undefined) parsed.name = name;
  const description = optionalString(params, 'description');
  if (description !== undefined) parsed.description = description;
  const accessLevel = optionalInteger(params, 'access_level');
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
  const params = (request.query ?? {}) as ApiParams;
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
