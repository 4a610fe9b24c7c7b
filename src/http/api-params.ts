import type { FastifyRequest } from 'fastify';
import { badRequest } from '../errors/tessera-error.ts';
import { declaredView } from './route-parameters.ts';

/*
 * Reading API parameters the way the platform does: from the query string or the body (JSON or
 * form), with a 400 that names the parameter when it is missing or malformed.
 */

export type ApiParams = Record<string, unknown>;

/**
 * Query and body merged; the body wins. Only the parameters the route declares (route-parameters.ts)
 * may be read from it.
 */
export function apiParams(request: FastifyRequest): ApiParams {
  const body = request.body;
  const fromBody =
    body !== null && typeof body === 'object' && !Array.isArray(body) ? (body as ApiParams) : {};
  return declaredView(request, { ...((request.query ?? {}) as ApiParams), ...fromBody });
}

/** The query string alone, for the few readers that ignore the body; declared as `apiParams`' are. */
export function apiQuery(request: FastifyRequest): ApiParams {
  return declaredView(request, { ...((request.query ?? {}) as ApiParams) });
}

export function optionalString(params: ApiParams, name: string): string | undefined {
  const value = params[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return String(value);
  throw badRequest(name, 'is invalid');
}

export function requiredString(params: ApiParams, name: string): string {
  const value = optionalString(params, name);
  if (value === undefined || value === '') throw badRequest(name, 'is missing');
  return value;
}

export function optionalInteger(params: ApiParams, name: string): number | undefined {
  const value = params[name];
  if (value === undefined || value === null || value === '') return undefined;
  const number =
    typeof value === 'number'
      ? value
      : typeof value === 'string' && /^-?\d{1,15}$/.test(value)
        ? Number(value)
        : NaN;
  if (!Number.isSafeInteger(number)) throw badRequest(name, 'is invalid');
  return number;
}

export function requiredInteger(params: ApiParams, name: string): number {
  const value = optionalInteger(params, name);
  if (value === undefined) throw badRequest(name, 'is missing');
  return value;
}

/** Grape's boolean words, in any case: what python-gitlab (`True`), Go (`true`) and forms (`on`, `1`) send. */
const TRUE_WORDS = new Set(['true', 't', 'yes', 'y', 'on', '1']);
const FALSE_WORDS = new Set(['false', 'f', 'no', 'n', 'off', '0']);

export function optionalBoolean(params: ApiParams, name: string): boolean | undefined {
  const value = params[name];
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value === 'boolean') return value;
  const word =
    typeof value === 'number' ? String(value) : typeof value === 'string' ? value.trim().toLowerCase() : '';
  if (TRUE_WORDS.has(word)) return true;
  if (FALSE_WORDS.has(word)) return false;
  throw badRequest(name, 'is invalid');
}

/** A parameter that must be one of a few words (`visibility`). */
export function optionalChoice<T extends string>(
  params: ApiParams,
  name: string,
  choices: readonly T[],
): T | undefined {
  const value = optionalString(params, name);
  if (value === undefined || value === '') return undefined;
  if (!(choices as readonly string[]).includes(value)) throw badRequest(name, 'does not have a valid value');
  return value as T;
}
