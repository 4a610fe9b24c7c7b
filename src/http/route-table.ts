import type { FastifyInstance } from 'fastify';
import type { RoutePermission } from './route-permission.ts';

/** One route as a client names it: method and URL pattern (`GET /api/v4/projects/:id`). */
export interface RouteEntry {
  method: string;
  url: string;
  /** Its catalogue entry, as declared once every plugin's `onRoute` hook has run. */
  readonly permission: RoutePermission | undefined;
}

const TABLES = new WeakMap<FastifyInstance, RouteEntry[]>();

/**
 * Records every route the app registers from now on (call it before any route), so tests and the
 * documents that must cover every route (the OpenAPI document, docs/gitlab-compatibility.md) walk a
 * role's whole route table instead of a hand-kept list that misses the next route.
 */
export function recordRouteTable(app: FastifyInstance): void {
  const table: RouteEntry[] = [];
  TABLES.set(app, table);
  app.addHook('onRoute', (route) => {
    // Fastify adds a HEAD twin to every GET; it is not a route of its own.
    for (const method of [route.method].flat()) {
      if (method === 'HEAD') continue;
      // Read late: a plugin's own onRoute hook (the web UI's) may declare it after this one ran.
      table.push({
        method,
        url: route.url,
        get permission() {
          return route.config?.permission;
        },
      });
    }
  });
}

/**
 * The routes an app built by `createHttpApp` serves, in registration order.
 *
 * @example
 * routeTableOf(app).filter((route) => route.method === 'GET');
 */
export function routeTableOf(app: FastifyInstance): readonly RouteEntry[] {
  return TABLES.get(app) ?? [];
}
