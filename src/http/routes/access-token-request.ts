import type { FastifyReply, FastifyRequest } from 'fastify';
import { badRequest } from '../../errors/tessera-error.ts';
import type { Page } from '../../store/access-tokens.repository.ts';
import type { NewAccessTokenRequest } from '../../tokens/access/access-token-input.ts';
import type { AccessTokenQuery } from '../../tokens/access/list-access-tokens.ts';

/*
 * Parsing of the access token endpoints' bodies and queries, and GitLab-style pagination.
 * (The pagination helpers move to a shared `src/http/pagination.ts` once one exists.)
 */

type Fields = Record<string, unknown>;

export const fieldsOf = (value: unknown): Fields =>
  typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Fields) : {};

function optionalString(fields: Fields, name: string): string | undefined {
  const value = fields[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw badRequest(name, 'is invalid');
  return value;
}

/** `scopes` as a JSON array, a comma-separated string, or repeated `scopes[]` form fields. */
function scopesField(fields: Fields): string[] {
  const raw = fields.scopes ?? fields['scopes[]'];
  if (raw === undefined || raw === null) return [];
  const list = Array.isArray(raw) ? raw : [raw];
  if (!list.every((item) => typeof item === 'string')) throw badRequest('scopes', 'is invalid');
  return (list as string[]).flatMap((item) => item.split(','));
}

/** The body of a token creation (`name`, `description`, `scopes`, `expires_at`, `access_level`). */
export function newTokenRequest(body: unknown): NewAccessTokenRequest & { accessLevel?: number } {
  const fields = fieldsOf(body);
  const request: NewAccessTokenRequest & { accessLevel?: number } = {
    scopes: scopesField(fields),
    expiresAt: fields.expires_at,
  };
  const name = optionalString(fields, 'name');
  if (name !== undefined) request.name = name;
  const description = optionalString(fields, 'description');
  if (description !== undefined) request.description = description;
  const level = fields.access_level;
  if (level !== undefined && level !== null && level !== '') {
    const parsed = typeof level === 'number' ? level : /^\d+$/.test(String(level)) ? Number(level) : NaN;
    if (!Number.isInteger(parsed)) throw badRequest('access_level', 'is invalid');
    request.accessLevel = parsed;
  }
  return request;
}

/** A numeric path or query id; anything else is a 404 for paths, as an unknown id would be. */
export function numericId(raw: string | undefined): number {
  return raw !== undefined && /^\d{1,15}$/.test(raw) ? Number(raw) : NaN;
}

function timeField(query: Fields, name: string, dateOnly: boolean): string | undefined {
  const raw = optionalString(query, name);
  if (raw === undefined || raw === '') return undefined;
  const time = Date.parse(/^\d{4}-\d{2}-\d{2}$/.test(raw) ? `${raw}T00:00:00Z` : raw);
  if (Number.isNaN(time)) throw badRequest(name, 'is invalid');
  const iso = new Date(time).toISOString();
  return dateOnly ? iso.slice(0, 10) : iso;
}

/** The listing filters of `GET /personal_access_tokens` and the access token listings. */
export function tokenQuery(rawQuery: unknown): AccessTokenQuery {
  const query = fieldsOf(rawQuery);
  const result: AccessTokenQuery = {};
  const state = optionalString(query, 'state');
  if (state !== undefined && state !== '') {
    if (state !== 'active' && state !== 'inactive') throw badRequest('state', 'does not have a valid value');
    result.state = state;
  }
  const revoked = optionalString(query, 'revoked');
  if (revoked !== undefined && revoked !== '') {
    if (revoked !== 'true' && revoked !== 'false') throw badRequest('revoked', 'is invalid');
    result.revoked = revoked === 'true';
  }
  const userId = optionalString(query, 'user_id');
  if (userId !== undefined && userId !== '') {
    if (!/^\d{1,15}$/.test(userId)) throw badRequest('user_id', 'is invalid');
    result.userId = Number(userId);
  }
  const search = optionalString(query, 'search');
  if (search) result.search = search;
  const times = {
    createdAfter: timeField(query, 'created_after', false),
    createdBefore: timeField(query, 'created_before', false),
    expiresAfter: timeField(query, 'expires_after', true),
    expiresBefore: timeField(query, 'expires_before', true),
    lastUsedAfter: timeField(query, 'last_used_after', false),
    lastUsedBefore: timeField(query, 'last_used_before', false),
  };
  for (const [key, value] of Object.entries(times)) {
    if (value !== undefined) result[key as keyof typeof times] = value;
  }
  return result;
}

const DEFAULT_PER_PAGE = 20;
const MAX_PER_PAGE = 100;

/** `page` and `per_page` as the platform reads them: defaults 1 and 20, at most 100 per page. */
export function pageOf(rawQuery: unknown): Page & { page: number; perPage: number } {
  const query = fieldsOf(rawQuery);
  const int = (value: unknown, fallback: number) =>
    typeof value === 'string' && /^\d{1,9}$/.test(value) && Number(value) > 0 ? Number(value) : fallback;
  const page = int(query.page, 1);
  const perPage = Math.min(int(query.per_page, DEFAULT_PER_PAGE), MAX_PER_PAGE);
  return { page, perPage, limit: perPage, offset: (page - 1) * perPage };
}

/**
 * Sets `X-Page`, `X-Per-Page`, `X-Next-Page`, `X-Prev-Page` and a `Link` header with absolute URLs
 * (python-gitlab follows `rel="next"`); with a known total also `X-Total`, `X-Total-Pages` and
 * `rel="last"`. Without one, `hasNext` says whether another page follows, as the platform does for
 * collections too large to count.
 */
export function setPaginationHeaders(
  request: FastifyRequest,
  reply: FastifyReply,
  baseUrl: string,
  page: { page: number; perPage: number },
  extent: { total: number } | { hasNext: boolean },
): void {
  const totalPages = 'total' in extent ? Math.max(1, Math.ceil(extent.total / page.perPage)) : undefined;
  const hasNext = totalPages === undefined ? 'hasNext' in extent && extent.hasNext : page.page < totalPages;
  const url = new URL(`${baseUrl}${request.url}`);
  const link = (target: number, rel: string) => {
    url.searchParams.set('page', String(target));
    url.searchParams.set('per_page', String(page.perPage));
    return `<${url.toString()}>; rel="${rel}"`;
  };
  const links = [];
  if (page.page > 1) links.push(link(page.page - 1, 'prev'));
  if (hasNext) links.push(link(page.page + 1, 'next'));
  links.push(link(1, 'first'));
  if (totalPages !== undefined) links.push(link(totalPages, 'last'));
  const headers: Record<string, string> = {
    'x-page': String(page.page),
    'x-per-page': String(page.perPage),
    'x-next-page': hasNext ? String(page.page + 1) : '',
    'x-prev-page': page.page > 1 ? String(page.page - 1) : '',
    link: links.join(', '),
  };
  if ('total' in extent && totalPages !== undefined) {
    headers['x-total'] = String(extent.total);
    headers['x-total-pages'] = String(totalPages);
  }
  void reply.headers(headers);
}
