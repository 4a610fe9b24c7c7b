import Fastify, { type FastifyRequest } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GIT_OPERATION_PERMISSIONS } from '../../src/git/git-access.ts';
import {
  BOUNDARIES,
  PERMISSION_CATALOGUE,
  PERMISSIONS,
  originOf,
  type Permission,
} from '../../src/identity/permission-catalogue.ts';
import { exempt, permissionOf, permissionsDeclaredBy, requires } from '../../src/http/route-permission.ts';
import { routeTableOf, type RouteEntry } from '../../src/http/route-table.ts';
import {
  permissionsForRegistryRequest,
  REGISTRY_ACTION_PERMISSIONS,
} from '../../src/registry/registry-permissions.ts';
import { startTestAuthority, type TestAuthority } from '../cloud/support/cloud-world.ts';
import { startTestInstance, type TestInstance } from '../support/instance.ts';

const describeRoute = (route: RouteEntry) => `${route.method} ${route.url}`;

/** A request as `permissionOf` sees it: the matched route's config and the query. */
const requestTo = (route: RouteEntry, query: Record<string, unknown> = {}) =>
  ({ routeOptions: { config: { permission: route.permission } }, query }) as unknown as FastifyRequest;

const names = (permissions: readonly Permission[]) => permissions.map((permission) => permission.name);

describe('the permission catalogue', () => {
  it('is one table of uniquely named entries, each with a resource, an action, boundaries and a description', () => {
    expect(PERMISSION_CATALOGUE.length).toBeGreaterThanOrEqual(80);
    expect(new Set(names(PERMISSION_CATALOGUE)).size).toBe(PERMISSION_CATALOGUE.length);
    for (const permission of PERMISSION_CATALOGUE) {
      expect(permission.name).toMatch(/^[a-z0-9]+(?:_[a-z0-9]+)*$/);
      expect(permission.resource).not.toBe('');
      expect(permission.action).not.toBe('');
      expect(permission.description).not.toBe('');
      expect(permission.boundaries.length).toBeGreaterThan(0);
      for (const boundary of permission.boundaries) expect(BOUNDARIES).toContain(boundary);
    }
  });

  it('names each entry action_resource and keys it by that name in camel case', () => {
    for (const [key, permission] of Object.entries(PERMISSIONS)) {
      expect(key).toBe(
        permission.name.replace(/_([a-z0-9])/g, (_match, letter: string) => letter.toUpperCase()),
      );
    }
  });

  it('uses GitLab’s names for git: Code: Download to clone, Code: Push to push', () => {
    expect(GIT_OPERATION_PERMISSIONS.read).toMatchObject({
      name: 'download_code',
      resource: 'Code',
      action: 'Download',
    });
    expect(GIT_OPERATION_PERMISSIONS.write).toMatchObject({
      name: 'push_code',
      resource: 'Code',
      action: 'Push',
    });
    expect(originOf(GIT_OPERATION_PERMISSIONS.read)).toBe('gitlab');
    expect(originOf(PERMISSIONS.pullContainerImage)).toBe('tessera');
  });

  it('gives each registry action its entry, `*` on a repository being all three', () => {
    const { pull, push, delete: remove, catalog } = REGISTRY_ACTION_PERMISSIONS;
    expect(permissionsForRegistryRequest('repository:g/app:pull')).toEqual([pull]);
    expect(permissionsForRegistryRequest(['repository:g/app:pull,push', 'repository:g/b:pull'])).toEqual([
      pull,
      push,
    ]);
    expect(permissionsForRegistryRequest('repository:g/app:*')).toEqual([pull, push, remove]);
    expect(permissionsForRegistryRequest('registry:catalog:*')).toEqual([catalog]);
    expect(permissionsForRegistryRequest(undefined)).toEqual([]);
    expect(permissionsForRegistryRequest('nonsense')).toEqual([]);
  });
});

describe('every route names its permission', () => {
  let instance: TestInstance;
  let authority: TestAuthority;
  let routes: RouteEntry[];

  beforeAll(async () => {
    [instance, authority] = await Promise.all([
      startTestInstance({ name: 'route-permissions' }),
      startTestAuthority(),
    ]);
    routes = [...routeTableOf(instance.app), ...routeTableOf(authority.running.app)];
  });
  afterAll(async () => {
    await Promise.all([instance?.stop(), authority?.stop()]);
  });

  it('fails naming any route that neither requires a catalogue entry nor is exempt with a reason', () => {
    expect(routes.length).toBeGreaterThan(200);
    const undeclared = routes.filter((route) => route.permission === undefined).map(describeRoute);
    expect(undeclared).toEqual([]);
    const unexplained = routes
      .filter((route) => route.permission?.kind === 'exempt' && route.permission.reason.trim().length < 10)
      .map(describeRoute);
    expect(unexplained).toEqual([]);
  });

  it('names only entries of the catalogue', () => {
    const catalogue = new Set(PERMISSION_CATALOGUE);
    const foreign = routes.filter((route) =>
      permissionsDeclaredBy(route.permission).some((permission) => !catalogue.has(permission)),
    );
    expect(foreign.map(describeRoute)).toEqual([]);
  });

  it('leaves no entry of the catalogue unused', () => {
    const used = new Set(routes.flatMap((route) => names(permissionsDeclaredBy(route.permission))));
    const unused = PERMISSION_CATALOGUE.filter((permission) => !used.has(permission.name));
    expect(names(unused)).toEqual([]);
  });

  it('names, on a project or group path, an entry that applies at that boundary', () => {
    const boundaryOf = (url: string) =>
      url.startsWith('/api/v4/projects/:id/')
        ? 'project'
        : url.startsWith('/api/v4/groups/:id/')
          ? 'group'
          : url.startsWith('/api/v4/admin/')
            ? 'instance'
            : undefined;
    const misplaced = routes.filter((route) => {
      const boundary = boundaryOf(`${route.url}/`);
      if (boundary === undefined) return false;
      return permissionsDeclaredBy(route.permission).some(
        (permission) => !permission.boundaries.includes(boundary),
      );
    });
    expect(misplaced.map(describeRoute)).toEqual([]);
  });

  it('keeps every REST API route but the few credential exchanges under a catalogue entry', () => {
    const exemptApi = routes
      .filter((route) => route.url.startsWith('/api/v4/') && route.permission?.kind === 'exempt')
      .map(describeRoute)
      .sort();
    expect(exemptApi).toEqual(
      [
        'DELETE /api/v4/runners',
        'GET /api/v4/job',
        'GET /api/v4/openapi.json',
        'PATCH /api/v4/jobs/:id/trace',
        'POST /api/v4/jobs/request',
        'POST /api/v4/projects/:id/ref/:ref/trigger/pipeline',
        'POST /api/v4/projects/:id/trigger/pipeline',
        'POST /api/v4/runners',
        'POST /api/v4/runners/verify',
        'PUT /api/v4/jobs/:id',
      ].sort(),
    );
  });

  it('answers at request time which permission a request needs', () => {
    const route = (method: string, url: string) => {
      const found = routes.find((entry) => entry.method === method && entry.url === url);
      if (!found) throw new Error(`no route ${method} ${url}`);
      return found;
    };
    expect(names(permissionOf(requestTo(route('GET', '/api/v4/projects/:id/jobs'))))).toEqual(['read_job']);
    expect(names(permissionOf(requestTo(route('GET', '/-/liveness'))))).toEqual([]);

    const infoRefs = route('GET', '/:n0/:repo/info/refs');
    expect(names(permissionOf(requestTo(infoRefs, { service: 'git-upload-pack' })))).toEqual([
      'download_code',
    ]);
    expect(names(permissionOf(requestTo(infoRefs, { service: 'git-receive-pack' })))).toEqual(['push_code']);
    expect(names(permissionOf(requestTo(route('POST', '/:n0/:n1/:repo/git-receive-pack'))))).toEqual([
      'push_code',
    ]);

    const jwtAuth = route('GET', '/jwt/auth');
    expect(names(permissionOf(requestTo(jwtAuth, { scope: 'repository:g/app:pull,push' })))).toEqual([
      'pull_container_image',
      'push_container_image',
    ]);
  });
});

describe('a declaration at request time', () => {
  it('reaches the request, whether made on the route or by its plugin’s onRoute hook (as the web UI does)', async () => {
    const app = Fastify();
    app.get('/declared', { config: requires(PERMISSIONS.readJob) }, async (request) =>
      names(permissionOf(request)),
    );
    await app.register(async (plugin) => {
      plugin.addHook('onRoute', (route) => {
        route.config = { ...route.config, ...exempt('a page of a session-only plugin') };
      });
      plugin.get('/page', async (request) => request.routeOptions.config.permission);
    });
    try {
      expect((await app.inject({ url: '/declared' })).json()).toEqual(['read_job']);
      expect((await app.inject({ url: '/page' })).json()).toEqual({
        kind: 'exempt',
        reason: 'a page of a session-only plugin',
      });
    } finally {
      await app.close();
    }
  });
});
