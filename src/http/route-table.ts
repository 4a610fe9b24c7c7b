import type { FastifyInstance } from 'fastify';

/** One route as a client names it: method and URL pattern (`GET /api/v4/projects/:id`). */
export interface RouteEntry {
  method: string;
  url: string;
}

const tables = new WeakMap<FastifyInstance, RouteEntry[]>();

/**
 * Starts recording the routes registered on `app` from now on (call it before any route), for the
 * documents that must cover every route: the OpenAPI document and docs/gitlab-compatibility.md.
 */
export function recordRoutes(app: FastifyInstance): void {
  const table: RouteEntry[] = [];
  tables.set(app, table);
  app.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    // Fastify adds a HEAD twin to every GET; it is not a route of its own.
    for (const method of methods) if (method !== 'HEAD') table.push({ method, url: route.url });
  });
}

/** The routes recorded for `app`, in registration order. */
export function routeTable(app: FastifyInstance): readonly RouteEntry[] {
  return tables.get(app) ?? [];
}
