import type { FastifyInstance } from 'fastify';

/** One route as registered: its method(s) and URL pattern (`/api/v4/projects/:id`). */
export interface RouteEntry {
  method: string;
  url: string;
}

const TABLES = new WeakMap<FastifyInstance, RouteEntry[]>();

/**
 * Records every route the app registers from now on, so tests can walk a role's whole route table
 * (every redirect, every header) instead of a hand-kept list that misses the next route.
 */
export function recordRouteTable(app: FastifyInstance): void {
  const table: RouteEntry[] = [];
  TABLES.set(app, table);
  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) table.push({ method, url: route.url });
  });
}

/**
 * The routes an app built by `createHttpApp` serves.
 *
 * @example
 * routeTableOf(app).filter((route) => route.method === 'GET');
 */
export function routeTableOf(app: FastifyInstance): readonly RouteEntry[] {
  return TABLES.get(app) ?? [];
}
