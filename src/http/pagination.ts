import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { declaredView } from './route-parameters.ts';

/** GitLab's defaults: 20 per page, at most 100. */
export const DEFAULT_PER_PAGE = 20;
export const MAX_PER_PAGE = 100;

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Set with {@link UNPAGINATED}: the route's array answer is whole, with no page headers. */
    unpaginated?: boolean;
  }
}

/**
 * Route config for a list GitLab serves whole (a small fixed table, not rows that grow): the list
 * pagination below leaves its answer alone.
 *
 * @example
 * app.get('/api/v4/personal_access_tokens/permissions', { config: { ...UNPAGINATED } }, handler);
 */
export const UNPAGINATED = { unpaginated: true } as const;

/** Query parameters that carry a credential: never echoed back in a Link header. */
const CREDENTIAL_PARAMETERS = ['private_token', 'access_token', 'job_token'];

export interface PageRequest {
  page: number;
  perPage: number;
  limit: number;
  offset: number;
}

/**
 * The page a request asks for (`page`, `per_page`, declared with `PAGINATION`); absent or nonsensical
 * values fall back to the defaults, as GitLab's do.
 */
export function pageRequest(request: FastifyRequest): PageRequest {
  const query = declaredView(request, (request.query ?? {}) as Record<string, unknown>);
  const page = positive(query.page) ?? 1;
  const perPage = Math.min(positive(query.per_page) ?? DEFAULT_PER_PAGE, MAX_PER_PAGE);
  return { page, perPage, limit: perPage, offset: (page - 1) * perPage };
}

function positive(value: unknown): number | undefined {
  if (typeof value !== 'string' || !/^\d{1,9}$/.test(value)) return undefined;
  const number = Number(value);
  return number > 0 ? number : undefined;
}

/**
 * Sets GitLab's pagination headers (`X-Page`, `X-Per-Page`, `X-Total`, `X-Total-Pages`,
 * `X-Next-Page`, `X-Prev-Page`, `Link`) for one page of `total` items, and returns the items.
 *
 * @example
 * const page = pageRequest(request);
 * return sendPage(request, reply, externalUrl, page, total, rows.map(present));
 */
export function sendPage<T>(
  request: FastifyRequest,
  reply: FastifyReply,
  externalUrl: string,
  page: PageRequest,
  total: number,
  items: T[],
): T[] {
  const totalPages = Math.max(1, Math.ceil(total / page.perPage));
  const next = page.page < totalPages ? page.page + 1 : null;
  const prev = page.page > 1 ? Math.min(page.page - 1, totalPages) : null;
  const link = (to: number, rel: string) =>
    `<${pageUrl(request, externalUrl, page.perPage, to)}>; rel="${rel}"`;
  const links = [
    ...(prev !== null ? [link(prev, 'prev')] : []),
    ...(next !== null ? [link(next, 'next')] : []),
    link(1, 'first'),
    link(totalPages, 'last'),
  ];
  void reply.headers({
    'x-page': String(page.page),
    'x-per-page': String(page.perPage),
    'x-total': String(total),
    'x-total-pages': String(totalPages),
    'x-next-page': next === null ? '' : String(next),
    'x-prev-page': prev === null ? '' : String(prev),
    link: links.join(', '),
  });
  return items;
}

/** One page of a list already in memory (members of one project), with the same headers. */
export function sendArrayPage<T>(
  request: FastifyRequest,
  reply: FastifyReply,
  externalUrl: string,
  all: T[],
): T[] {
  const page = pageRequest(request);
  return sendPage(
    request,
    reply,
    externalUrl,
    page,
    all.length,
    all.slice(page.offset, page.offset + page.limit),
  );
}

function pageUrl(request: FastifyRequest, externalUrl: string, perPage: number, page: number): string {
  const [path = '', search = ''] = request.url.split('?', 2);
  const params = new URLSearchParams(search);
  for (const name of CREDENTIAL_PARAMETERS) params.delete(name);
  params.set('page', String(page));
  params.set('per_page', String(perPage));
  return `${externalUrl}${path}?${params.toString()}`;
}

/**
 * Every list of the REST API is paginated, as every platform client expects: a `GET /api/v4/...`
 * answer that is an array and was not paged by its route gets the page it asked for and the headers
 * (unless the route is declared {@link UNPAGINATED}).
 */
export function installListPagination(app: FastifyInstance, externalUrl: string): void {
  app.addHook('preSerialization', async (request, reply, payload) => {
    if (request.method !== 'GET' || !request.url.startsWith('/api/v4/') || !Array.isArray(payload)) {
      return payload;
    }
    if (reply.hasHeader('x-page') || reply.statusCode !== 200) return payload;
    if (request.routeOptions.config?.unpaginated === true) return payload;
    return sendArrayPage(request, reply, externalUrl, payload as unknown[]);
  });
}
