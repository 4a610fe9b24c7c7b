import type { FastifyRequest } from 'fastify';
import { badRequest } from '../../errors/tessera-error.ts';
import type { NewDeployTokenRequest } from '../../tokens/deploy/deploy-token-input.ts';
import { EXPIRY_WARNING_DAYS, MAX_EXPIRY_WARNING_DAYS } from '../../tokens/deploy/expiring-deploy-tokens.ts';
import {
  apiParams,
  optionalBoolean,
  optionalInteger,
  optionalString,
  type ApiParams,
} from '../api-params.ts';

/* Parsing of the deploy token endpoints' parameters: query or body, JSON or form, as on the platform. */

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
  const active = optionalBoolean((request.query ?? {}) as ApiParams, 'active');
  return active === undefined ? {} : { active };
}

/** How many days ahead an expiry listing looks (`days`, default 7). */
export function expiringDaysParam(request: FastifyRequest): number {
  const days = optionalInteger((request.query ?? {}) as ApiParams, 'days') ?? EXPIRY_WARNING_DAYS;
  if (days < 1 || days > MAX_EXPIRY_WARNING_DAYS) {
    throw badRequest('days', `must be from 1 to ${MAX_EXPIRY_WARNING_DAYS}`);
  }
  return days;
}
