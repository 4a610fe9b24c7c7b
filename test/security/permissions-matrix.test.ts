import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SYSTEM_ACTOR } from '../../src/audit/audit-log.ts';
import type { Namespace, Project, User, Visibility } from '../../src/store/schema.ts';
import { accessTokenDeps } from '../../src/tokens/access/access-token-deps.ts';
import { createResourceAccessToken } from '../../src/tokens/access/resource-access-token.service.ts';
import { createUserWithPassword } from '../identity/identity-fixtures.ts';
import { signInOverHttp, type BrowserSession } from '../identity/http-session.ts';
import { startTestInstance, type TestInstance } from '../support/instance.ts';
import { rememberSecret } from '../support/secrets.ts';
import * as world from '../support/world.ts';
import { givePat } from '../tokens/token-fixtures.ts';
import { exchange, keepAuditEvents, type Exchange } from './support/exchange.ts';

/*
 * The permissions matrix: (credential type × role × project visibility × endpoint), every cell
 * requested over HTTP and compared with the policy below — the same table as "Permissions matrix" in
 * docs/security.md. A new credential type is one more CREDENTIALS row; a new endpoint one more
 * ENDPOINTS row with its rule.
 */

const ROLES = ['none', 'guest', 'reporter', 'developer', 'maintainer', 'owner', 'admin'] as const;
type Role = (typeof ROLES)[number];
const LEVELS: Record<Exclude<Role, 'none' | 'admin'>, number> = {
  guest: 10,
  reporter: 20,
  developer: 30,
  maintainer: 40,
  owner: 50,
};
const VISIBILITIES: readonly Visibility[] = ['public', 'internal', 'private'];

interface CredentialType {
  name: string;
  /** Scopes the credential grants; null: not scope-limited (a session). */
  scopes: readonly string[] | null;
  /** A bot user (project or group access token) rather than a person. */
  bot: boolean;
  anonymous?: boolean;
  /** Roles this credential can hold on a project (a bot is never an admin, anonymous holds none). */
  roles: readonly Role[];
}

const PERSON_ROLES = ROLES;
const BOT_ROLES = ['guest', 'reporter', 'developer', 'maintainer', 'owner'] as const;

const CREDENTIALS: CredentialType[] = [
  { name: 'session', scopes: null, bot: false, roles: PERSON_ROLES },
  { name: 'PAT api', scopes: ['api'], bot: false, roles: PERSON_ROLES },
  { name: 'PAT read_api', scopes: ['read_api'], bot: false, roles: PERSON_ROLES },
  { name: 'PAT read_user', scopes: ['read_user'], bot: false, roles: PERSON_ROLES },
  { name: 'project bot token (api)', scopes: ['api'], bot: true, roles: BOT_ROLES },
  { name: 'group bot token (api)', scopes: ['api'], bot: true, roles: BOT_ROLES },
  { name: 'anonymous', scopes: [], bot: false, anonymous: true, roles: ['none'] },
];

/** A cell's answer: the status and which body it must carry. */
type Expected =
  | { status: 200 | 201; body: 'ok' | 'fresh' }
  | { status: 204; body: 'empty' }
  | { status: 401; body: 'unauthorized' }
  | { status: 403; body: 'insufficient_scope' | 'forbidden' }
  | { status: 403; body: 'no_access_granted' }
  | { status: 404; body: 'project_not_found' | 'group_not_found' };

const OK: Expected = { status: 200, body: 'ok' };
const CREATED: Expected = { status: 201, body: 'ok' };
/** Made: 201 with the new thing (a variable, a trigger, a token), not an error. */
const FRESH: Expected = { status: 201, body: 'fresh' };
/** Shown: 200 with the one thing asked for. */
const SHOWN: Expected = { status: 200, body: 'fresh' };
/** Changed: 200 with the thing as it is now. */
const CHANGED: Expected = { status: 200, body: 'fresh' };
/** Deleted: 204, no body. */
const GONE: Expected = { status: 204, body: 'empty' };
const UNAUTHORIZED: Expected = { status: 401, body: 'unauthorized' };
const NO_SCOPE: Expected = { status: 403, body: 'insufficient_scope' };
const FORBIDDEN: Expected = { status: 403, body: 'forbidden' };
const HIDDEN: Expected = { status: 404, body: 'project_not_found' };
const GROUP_HIDDEN: Expected = { status: 404, body: 'group_not_found' };
/** What GitLab's runner endpoints answer a user who may not manage the runner, seen or not. */
const NO_RUNNER_ACCESS: Expected = { status: 403, body: 'no_access_granted' };

interface Cell {
  credential: CredentialType;
  role: Role;
  visibility: Visibility;
}

const READ_API = ['api', 'read_api'];
const WRITE_API = ['api'];
const READ_USER = ['api', 'read_api', 'read_user'];

const hasScope = (cell: Cell, anyOf: readonly string[]) =>
  cell.credential.scopes === null || cell.credential.scopes.some((scope) => anyOf.includes(scope));
const level = (cell: Cell) => (cell.role === 'admin' ? 50 : cell.role === 'none' ? 0 : LEVELS[cell.role]);
/** Public to all; internal to every signed-in person (not to bots); private to members and admins. */
const canSee = (cell: Cell) =>
  level(cell) >= 10 ||
  cell.visibility === 'public' ||
  (cell.visibility === 'internal' && !cell.credential.anonymous && !cell.credential.bot);

/**
 * A role on the project's group: people and project bots are members of the project only, so they hold
 * none there; a group bot holds its level.
 */
const groupLevel = (cell: Cell) =>
  cell.role === 'admin'
    ? 50
    : cell.credential.name.startsWith('group bot')
      ? LEVELS[cell.role as 'guest']
      : 0;
/** As on GitLab, a member of one of its projects may see a private group (and nothing more there). */
const canSeeGroup = (cell: Cell) => canSee(cell);

/**
 * The policy, one rule per endpoint, in the order the checks run: credential present (401), scope
 * (403 insufficient_scope, before anything about the project is revealed), visibility (404), role
 * (403 Forbidden).
 */
const ENDPOINTS: Array<{ name: string; rule(cell: Cell): Expected }> = [
  {
    name: 'GET /projects/:id',
    rule: (c) =>
      c.credential.anonymous
        ? c.visibility === 'public'
          ? OK
          : HIDDEN
        : !hasScope(c, READ_API)
          ? NO_SCOPE
          : canSee(c)
            ? OK
            : HIDDEN,
  },
  {
    name: 'GET /projects/:id/members',
    rule: (c) =>
      c.credential.anonymous
        ? c.visibility === 'public'
          ? OK
          : HIDDEN
        : !hasScope(c, READ_API)
          ? NO_SCOPE
          : canSee(c)
            ? OK
            : HIDDEN,
  },
  {
    name: 'POST /projects/:id/members (guest)',
    rule: (c) =>
      c.credential.anonymous
        ? UNAUTHORIZED
        : !hasScope(c, WRITE_API)
          ? NO_SCOPE
          : !canSee(c)
            ? HIDDEN
            : level(c) >= 40
              ? CREATED
              : FORBIDDEN,
  },
  {
    name: 'GET /projects/:id/access_tokens',
    rule: (c) =>
      c.credential.anonymous
        ? UNAUTHORIZED
        : !hasScope(c, READ_API)
          ? NO_SCOPE
          : !canSee(c)
            ? HIDDEN
            : level(c) >= 40 && !c.credential.bot
              ? OK
              : FORBIDDEN,
  },
  {
    name: 'POST /projects/:id/access_tokens (guest, read_api)',
    rule: (c) =>
      c.credential.anonymous
        ? UNAUTHORIZED
        : !hasScope(c, WRITE_API)
          ? NO_SCOPE
          : !canSee(c)
            ? HIDDEN
            : level(c) >= 40 && !c.credential.bot
              ? CREATED
              : FORBIDDEN,
  },
  ...['GET /projects/:id/runners', 'GET /projects/:id/triggers', 'GET /projects/:id/variables'].map(
    (name) => ({
      name,
      rule: (c: Cell): Expected =>
        c.credential.anonymous
          ? UNAUTHORIZED
          : !hasScope(c, READ_API)
            ? NO_SCOPE
            : !canSee(c)
              ? HIDDEN
              : level(c) >= 40
                ? OK
                : FORBIDDEN,
    }),
  ),
  // Writes of the CI credentials: maintainers (and bots at that level), with a write scope.
  ...[
    'POST /projects/:id/variables',
    'POST /projects/:id/triggers',
    'POST /projects/:id/runners/reset_registration_token',
    'POST /user/runners (project_type)',
  ].map((name) => ({
    name,
    rule: (c: Cell): Expected =>
      c.credential.anonymous
        ? UNAUTHORIZED
        : !hasScope(c, WRITE_API)
          ? NO_SCOPE
          : !canSee(c)
            ? HIDDEN
            : level(c) >= 40
              ? FRESH
              : FORBIDDEN,
  })),
  // One of them, read, changed or deleted: the same people, each on a variable or trigger made for the cell.
  ...[
    { name: 'GET /projects/:id/variables/:key', scopes: READ_API, granted: SHOWN },
    { name: 'PUT /projects/:id/variables/:key', scopes: WRITE_API, granted: CHANGED },
    { name: 'DELETE /projects/:id/variables/:key', scopes: WRITE_API, granted: GONE },
    { name: 'GET /projects/:id/triggers/:trigger_id', scopes: READ_API, granted: SHOWN },
    { name: 'PUT /projects/:id/triggers/:trigger_id', scopes: WRITE_API, granted: CHANGED },
    { name: 'DELETE /projects/:id/triggers/:trigger_id', scopes: WRITE_API, granted: GONE },
  ].map(({ name, scopes, granted }) => ({
    name,
    rule: (c: Cell): Expected =>
      c.credential.anonymous
        ? UNAUTHORIZED
        : !hasScope(c, scopes)
          ? NO_SCOPE
          : !canSee(c)
            ? HIDDEN
            : level(c) >= 40
              ? granted
              : FORBIDDEN,
  })),
  // Instance-wide credentials and lists: administrators only.
  ...[
    { name: 'GET /runners/all', scopes: READ_API, granted: OK },
    { name: 'GET /admin/ci/variables', scopes: READ_API, granted: OK },
    { name: 'POST /admin/ci/variables', scopes: WRITE_API, granted: FRESH },
    { name: 'GET /admin/ci/variables/:key', scopes: READ_API, granted: SHOWN },
    { name: 'PUT /admin/ci/variables/:key', scopes: WRITE_API, granted: CHANGED },
    { name: 'DELETE /admin/ci/variables/:key', scopes: WRITE_API, granted: GONE },
    { name: 'POST /runners/reset_registration_token', scopes: WRITE_API, granted: FRESH },
    { name: 'POST /users/:user_id/impersonation_tokens', scopes: WRITE_API, granted: FRESH },
    { name: 'GET /users/:user_id/impersonation_tokens/:id', scopes: READ_API, granted: SHOWN },
  ].map(({ name, scopes, granted }) => ({
    name,
    rule: (c: Cell): Expected =>
      c.credential.anonymous
        ? UNAUTHORIZED
        : !hasScope(c, scopes)
          ? NO_SCOPE
          : c.role === 'admin'
            ? granted
            : FORBIDDEN,
  })),
  // A group's variables: its owners (and administrators) only.
  ...[
    { name: 'GET /groups/:id/variables', scopes: READ_API, granted: OK },
    { name: 'POST /groups/:id/variables', scopes: WRITE_API, granted: FRESH },
    { name: 'GET /groups/:id/variables/:key', scopes: READ_API, granted: SHOWN },
    { name: 'PUT /groups/:id/variables/:key', scopes: WRITE_API, granted: CHANGED },
    { name: 'DELETE /groups/:id/variables/:key', scopes: WRITE_API, granted: GONE },
  ].map(({ name, scopes, granted }) => ({
    name,
    rule: (c: Cell): Expected =>
      c.credential.anonymous
        ? UNAUTHORIZED
        : !hasScope(c, scopes)
          ? NO_SCOPE
          : !canSeeGroup(c)
            ? GROUP_HIDDEN
            : groupLevel(c) >= 50
              ? granted
              : FORBIDDEN,
  })),
  // The runners serving a group: its maintainers (GitLab's read_group_runners).
  {
    name: 'GET /groups/:id/runners',
    rule: (c) =>
      c.credential.anonymous
        ? UNAUTHORIZED
        : !hasScope(c, READ_API)
          ? NO_SCOPE
          : !canSeeGroup(c)
            ? GROUP_HIDDEN
            : groupLevel(c) >= 40
              ? OK
              : FORBIDDEN,
  },
  // The runners a user manages: anyone signed in may ask; the list holds only their own.
  {
    name: 'GET /runners',
    rule: (c) => (c.credential.anonymous ? UNAUTHORIZED : !hasScope(c, READ_API) ? NO_SCOPE : OK),
  },
  // A runner's own endpoints: its token authenticates, whatever user credential comes along.
  { name: 'POST /runners/verify (runner token)', rule: () => SHOWN },
  { name: 'DELETE /runners (runner token)', rule: () => GONE },
  // One runner of the cell's project: its maintainers (and administrators). The answer never says
  // whether the project is visible: a runner is 403 to whoever may not manage it.
  ...[
    { name: 'GET /runners/:id', scopes: READ_API, granted: SHOWN },
    { name: 'PUT /runners/:id', scopes: WRITE_API, granted: CHANGED },
    { name: 'POST /runners/:id/reset_authentication_token', scopes: WRITE_API, granted: FRESH },
    { name: 'DELETE /runners/:id', scopes: WRITE_API, granted: GONE },
  ].map(({ name, scopes, granted }) => ({
    name,
    rule: (c: Cell): Expected =>
      c.credential.anonymous
        ? UNAUTHORIZED
        : !hasScope(c, scopes)
          ? NO_SCOPE
          : level(c) >= 40
            ? granted
            : NO_RUNNER_ACCESS,
  })),
  {
    name: 'DELETE /users/:user_id/impersonation_tokens/:id',
    rule: (c) =>
      c.credential.anonymous
        ? UNAUTHORIZED
        : !hasScope(c, WRITE_API)
          ? NO_SCOPE
          : c.role === 'admin'
            ? GONE
            : FORBIDDEN,
  },
  {
    name: 'GET /users/:user_id/impersonation_tokens',
    rule: (c) =>
      c.credential.anonymous
        ? UNAUTHORIZED
        : !hasScope(c, READ_API)
          ? NO_SCOPE
          : c.role === 'admin'
            ? OK
            : FORBIDDEN,
  },
  {
    name: 'GET /user',
    rule: (c) => (c.credential.anonymous ? UNAUTHORIZED : hasScope(c, READ_USER) ? OK : NO_SCOPE),
  },
  {
    name: 'GET /personal_access_tokens',
    rule: (c) => (c.credential.anonymous ? UNAUTHORIZED : hasScope(c, READ_API) ? OK : NO_SCOPE),
  },
];

/** What a request of a cell sends: the credential's headers. */
interface Presented {
  headers: Record<string, string>;
  userId: number | null;
}

describe('the permissions matrix', () => {
  let instance: TestInstance;
  let api: string;
  const projects = new Map<Visibility, { group: Namespace; project: Project }>();
  /** `${credential}|${role}|${visibility}` → how to present it. */
  const presented = new Map<string, Presented>();
  const keyOf = (credential: string, role: Role, visibility: Visibility) =>
    `${credential}|${role}|${visibility}`;
  const adminHeaders = () => presented.get(keyOf('PAT api', 'admin', 'public'))!.headers;

  beforeAll(async () => {
    instance = await startTestInstance({ name: 'permissions-matrix' });
    api = `${instance.url}/api/v4`;
    const db = instance.context.db;
    const deps = accessTokenDeps(instance.context);
    for (const visibility of VISIBILITIES) {
      const group = await world.createGroup(db, { visibility });
      projects.set(visibility, { group, project: await world.createProject(db, group, { visibility }) });
    }

    // People: one per role, the same role on the project of every visibility.
    for (const role of PERSON_ROLES) {
      const made = await createUserWithPassword(db, {
        username: `matrix-${role}`,
        is_admin: role === 'admin' ? 1 : 0,
      });
      const user = made.user;
      if (role !== 'none' && role !== 'admin') {
        for (const { project } of projects.values()) await world.addMember(db, project, user, LEVELS[role]);
      }
      const session: BrowserSession = await signInOverHttp(instance.url, user.username, made.password);
      const byScopes = new Map<string, string>();
      for (const scopes of [['api'], ['read_api'], ['read_user']]) {
        byScopes.set(scopes[0]!, (await givePat(deps, user, scopes)).plaintext);
      }
      for (const visibility of VISIBILITIES) {
        presented.set(keyOf('session', role, visibility), {
          headers: { cookie: session.cookie, 'x-csrf-token': session.csrfToken },
          userId: user.id,
        });
        for (const scope of ['api', 'read_api', 'read_user']) {
          presented.set(keyOf(`PAT ${scope}`, role, visibility), {
            headers: { 'private-token': byScopes.get(scope)! },
            userId: user.id,
          });
        }
        presented.set(keyOf('anonymous', 'none', visibility), { headers: {}, userId: null });
      }
    }

    impersonated = await world.createUser(db, { username: 'matrix-impersonated' });

    const made = remembered(
      await exchange(`${api}/users/${impersonated.id}/impersonation_tokens`, {
        method: 'POST',
        headers: { ...adminHeaders(), 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'matrix-seen', scopes: ['read_user'] }),
      }),
    );
    impersonationTokenId = made.json.id;

    // Bots: a project token and a group token at each level, for the project of every visibility.
    const admin = (await db
      .selectFrom('users')
      .selectAll()
      .where('username', '=', 'matrix-admin')
      .executeTakeFirstOrThrow()) as User;
    const actor = { ...SYSTEM_ACTOR, userId: admin.id, name: admin.username };
    const expiresAt = new Date(Date.now() + 30 * 86_400_000).toISOString().slice(0, 10);
    for (const [visibility, { group, project }] of projects) {
      for (const role of BOT_ROLES) {
        for (const [name, resource] of [
          ['project bot token (api)', { kind: 'project', project }],
          ['group bot token (api)', { kind: 'group', group }],
        ] as const) {
          const issued = await createResourceAccessToken(deps, actor, admin, resource, {
            name: `${role}-bot`,
            scopes: ['api'],
            expiresAt,
            accessLevel: LEVELS[role],
          });
          presented.set(keyOf(name, role, visibility), {
            headers: { 'private-token': rememberSecret(issued.plaintext) },
            userId: issued.token.user_id,
          });
        }
      }
    }
  });
  afterAll(async () => {
    await keepAuditEvents(instance.context.db);
    await instance.stop();
  });

  /** Counts what the matrix makes, so each variable has a key of its own. */
  let made = 0;
  /** The one user every cell asks an impersonation token for. */
  let impersonated: User;
  const remembered = (answer: Exchange) => {
    if (typeof answer.json?.token === 'string') rememberSecret(answer.json.token);
    return answer;
  };

  /** The impersonation token every cell asks to see. */
  let impersonationTokenId: number;
  /** Makes something on the cell's project as the administrator, for the cell to change or delete. */
  let madeByAdmin: (what: 'variables' | 'triggers', body: object, field: 'key' | 'id') => Promise<string>;
  /** Makes the same at `path` (a group's or the instance's variables). */
  let madeByAdminAt: (path: string, body: object, field: 'key' | 'id') => Promise<string>;

  async function request(endpoint: string, cell: Cell, credential: Presented): Promise<Exchange> {
    const { group, project } = projects.get(cell.visibility)!;
    /** A fresh runner of the cell's project, registered by the administrator, for the cell to use or delete. */
    const projectRunner = async () => {
      const answer = remembered(
        await exchange(`${api}/user/runners`, {
          method: 'POST',
          headers: { ...adminHeaders(), 'content-type': 'application/json' },
          body: JSON.stringify({ runner_type: 'project_type', project_id: project.id }),
        }),
      );
      expect(answer.status, answer.text).toBe(201);
      return String(answer.json.id);
    };
    madeByAdmin = (what, body, field) => madeByAdminAt(`/projects/${project.id}/${what}`, body, field);
    madeByAdminAt = async (path, body, field) => {
      const answer = remembered(
        await exchange(`${api}${path}`, {
          method: 'POST',
          headers: { ...adminHeaders(), 'content-type': 'application/json' },
          body: JSON.stringify(body),
        }),
      );
      expect(answer.status, answer.text).toBe(201);
      return String(answer.json[field]);
    };
    const headers = { ...credential.headers, 'content-type': 'application/json' };
    switch (endpoint) {
      case 'GET /projects/:id':
        return exchange(`${api}/projects/${project.id}`, { headers });
      case 'GET /projects/:id/members':
        return exchange(`${api}/projects/${project.id}/members`, { headers });
      case 'POST /projects/:id/members (guest)': {
        const newcomer = await world.createUser(instance.context.db);
        return exchange(`${api}/projects/${project.id}/members`, {
          method: 'POST',
          headers,
          body: JSON.stringify({ user_id: newcomer.id, access_level: 10 }),
        });
      }
      case 'GET /projects/:id/access_tokens':
        return exchange(`${api}/projects/${project.id}/access_tokens`, { headers });
      case 'POST /projects/:id/access_tokens (guest, read_api)': {
        const answer = await exchange(`${api}/projects/${project.id}/access_tokens`, {
          method: 'POST',
          headers,
          body: JSON.stringify({
            name: 'matrix',
            scopes: ['read_api'],
            access_level: 10,
            expires_at: new Date(Date.now() + 30 * 86_400_000).toISOString().slice(0, 10),
          }),
        });
        if (answer.json?.token) rememberSecret(answer.json.token);
        return answer;
      }
      case 'GET /projects/:id/runners':
        return exchange(`${api}/projects/${project.id}/runners`, { headers });
      case 'GET /projects/:id/triggers':
        return exchange(`${api}/projects/${project.id}/triggers`, { headers });
      case 'GET /projects/:id/variables':
        return exchange(`${api}/projects/${project.id}/variables`, { headers });
      case 'POST /projects/:id/variables':
        return exchange(`${api}/projects/${project.id}/variables`, {
          method: 'POST',
          headers,
          body: JSON.stringify({ key: `MATRIX_${++made}`, value: 'not-a-secret' }),
        });
      case 'POST /projects/:id/triggers':
        return remembered(
          await exchange(`${api}/projects/${project.id}/triggers`, {
            method: 'POST',
            headers,
            body: JSON.stringify({ description: 'matrix' }),
          }),
        );
      case 'POST /projects/:id/runners/reset_registration_token':
        return remembered(
          await exchange(`${api}/projects/${project.id}/runners/reset_registration_token`, {
            method: 'POST',
            headers,
          }),
        );
      case 'GET /projects/:id/variables/:key': {
        const key = await madeByAdmin('variables', { key: `MATRIX_${++made}`, value: 'not-a-secret' }, 'key');
        return exchange(`${api}/projects/${project.id}/variables/${key}`, { headers });
      }
      case 'POST /user/runners (project_type)':
        return remembered(
          await exchange(`${api}/user/runners`, {
            method: 'POST',
            headers,
            body: JSON.stringify({ runner_type: 'project_type', project_id: project.id }),
          }),
        );
      case 'PUT /projects/:id/variables/:key': {
        const key = await madeByAdmin('variables', { key: `MATRIX_${++made}`, value: 'not-a-secret' }, 'key');
        return exchange(`${api}/projects/${project.id}/variables/${key}`, {
          method: 'PUT',
          headers,
          body: JSON.stringify({ value: 'changed-value' }),
        });
      }
      case 'DELETE /projects/:id/variables/:key': {
        const key = await madeByAdmin('variables', { key: `MATRIX_${++made}`, value: 'not-a-secret' }, 'key');
        return exchange(`${api}/projects/${project.id}/variables/${key}`, { method: 'DELETE', headers });
      }
      case 'GET /projects/:id/triggers/:trigger_id': {
        const id = await madeByAdmin('triggers', { description: 'matrix' }, 'id');
        return exchange(`${api}/projects/${project.id}/triggers/${id}`, { headers });
      }
      case 'PUT /projects/:id/triggers/:trigger_id': {
        const id = await madeByAdmin('triggers', { description: 'matrix' }, 'id');
        return exchange(`${api}/projects/${project.id}/triggers/${id}`, {
          method: 'PUT',
          headers,
          body: JSON.stringify({ description: 'changed by the matrix' }),
        });
      }
      case 'POST /admin/ci/variables':
        return exchange(`${api}/admin/ci/variables`, {
          method: 'POST',
          headers,
          body: JSON.stringify({ key: `MATRIX_${++made}`, value: 'not-a-secret' }),
        });
      case 'GET /admin/ci/variables/:key':
      case 'PUT /admin/ci/variables/:key':
      case 'DELETE /admin/ci/variables/:key': {
        const key = await madeByAdminAt(
          '/admin/ci/variables',
          { key: `MATRIX_${++made}`, value: 'not-a-secret' },
          'key',
        );
        return changeOne(`${api}/admin/ci/variables/${key}`, endpoint, headers);
      }
      case 'GET /groups/:id/variables/:key':
      case 'PUT /groups/:id/variables/:key':
      case 'DELETE /groups/:id/variables/:key': {
        const key = await madeByAdminAt(
          `/groups/${group.id}/variables`,
          { key: `MATRIX_${++made}`, value: 'not-a-secret' },
          'key',
        );
        return changeOne(`${api}/groups/${group.id}/variables/${key}`, endpoint, headers);
      }
      case 'GET /groups/:id/runners':
        return exchange(`${api}/groups/${group.id}/runners`, { headers });
      case 'GET /runners':
        return exchange(`${api}/runners`, { headers });
      case 'POST /runners/verify (runner token)':
      case 'DELETE /runners (runner token)': {
        const runner = remembered(
          await exchange(`${api}/user/runners`, {
            method: 'POST',
            headers: { ...adminHeaders(), 'content-type': 'application/json' },
            body: JSON.stringify({ runner_type: 'project_type', project_id: project.id }),
          }),
        );
        expect(runner.status, runner.text).toBe(201);
        return exchange(`${api}/runners${endpoint.startsWith('POST') ? '/verify' : ''}`, {
          method: endpoint.startsWith('POST') ? 'POST' : 'DELETE',
          headers,
          body: JSON.stringify({ token: runner.json.token }),
        });
      }
      case 'DELETE /projects/:id/triggers/:trigger_id': {
        const id = await madeByAdmin('triggers', { description: 'matrix' }, 'id');
        return exchange(`${api}/projects/${project.id}/triggers/${id}`, { method: 'DELETE', headers });
      }
      case 'GET /users/:user_id/impersonation_tokens/:id':
        return exchange(`${api}/users/${impersonated.id}/impersonation_tokens/${impersonationTokenId}`, {
          headers,
        });
      case 'GET /runners/all':
        return exchange(`${api}/runners/all`, { headers });
      case 'GET /admin/ci/variables':
        return exchange(`${api}/admin/ci/variables`, { headers });
      case 'POST /runners/reset_registration_token':
        return remembered(
          await exchange(`${api}/runners/reset_registration_token`, { method: 'POST', headers }),
        );
      case 'POST /users/:user_id/impersonation_tokens':
        return remembered(
          await exchange(`${api}/users/${impersonated.id}/impersonation_tokens`, {
            method: 'POST',
            headers,
            body: JSON.stringify({ name: 'matrix', scopes: ['read_user'] }),
          }),
        );
      case 'GET /groups/:id/variables':
        return exchange(`${api}/groups/${group.id}/variables`, { headers });
      case 'POST /groups/:id/variables':
        return exchange(`${api}/groups/${group.id}/variables`, {
          method: 'POST',
          headers,
          body: JSON.stringify({ key: `MATRIX_${++made}`, value: 'not-a-secret' }),
        });
      case 'GET /runners/:id':
        return exchange(`${api}/runners/${await projectRunner()}`, { headers });
      case 'PUT /runners/:id':
        return exchange(`${api}/runners/${await projectRunner()}`, {
          method: 'PUT',
          headers,
          body: JSON.stringify({ description: 'changed by the matrix' }),
        });
      case 'POST /runners/:id/reset_authentication_token':
        return remembered(
          await exchange(`${api}/runners/${await projectRunner()}/reset_authentication_token`, {
            method: 'POST',
            headers,
          }),
        );
      case 'DELETE /runners/:id':
        return exchange(`${api}/runners/${await projectRunner()}`, { method: 'DELETE', headers });
      case 'DELETE /users/:user_id/impersonation_tokens/:id': {
        const made = remembered(
          await exchange(`${api}/users/${impersonated.id}/impersonation_tokens`, {
            method: 'POST',
            headers: { ...adminHeaders(), 'content-type': 'application/json' },
            body: JSON.stringify({ name: 'matrix-revoked', scopes: ['read_user'] }),
          }),
        );
        expect(made.status, made.text).toBe(201);
        return exchange(`${api}/users/${impersonated.id}/impersonation_tokens/${made.json.id}`, {
          method: 'DELETE',
          headers,
        });
      }
      case 'GET /users/:user_id/impersonation_tokens':
        return exchange(`${api}/users/${credential.userId ?? 1}/impersonation_tokens`, { headers });
      case 'GET /user':
        return exchange(`${api}/user`, { headers });
      case 'GET /personal_access_tokens':
        return exchange(`${api}/personal_access_tokens`, { headers });
      default:
        throw new Error(`no request for ${endpoint}`);
    }
  }

  /** GET, PUT (a new value) or DELETE one variable at `url`, as the endpoint's verb says. */
  function changeOne(url: string, endpoint: string, headers: Record<string, string>): Promise<Exchange> {
    const method = endpoint.split(' ')[0]!;
    if (method === 'PUT') {
      return exchange(url, { method, headers, body: JSON.stringify({ value: 'changed-value' }) });
    }
    return exchange(url, { method, headers });
  }

  /** Whether the answer is the expected one, body included; a description of the difference otherwise. */
  function mismatch(
    expected: Expected,
    answer: Exchange,
    cell: Cell,
    credential: Presented,
    projectId: number,
  ): string | null {
    const body = answer.json;
    const bodyOk = (() => {
      switch (expected.body) {
        case 'unauthorized':
          return JSON.stringify(body) === '{"message":"401 Unauthorized"}';
        case 'insufficient_scope':
          return body?.error === 'insufficient_scope';
        case 'forbidden':
          return JSON.stringify(body) === '{"message":"403 Forbidden"}';
        case 'no_access_granted':
          return JSON.stringify(body) === '{"message":"403 Forbidden - No access granted"}';
        case 'project_not_found':
          return JSON.stringify(body) === '{"message":"404 Project Not Found"}';
        case 'group_not_found':
          return JSON.stringify(body) === '{"message":"404 Group Not Found"}';
        case 'empty':
          return answer.text === '';
        case 'fresh':
          return body !== null && typeof body === 'object' && !('message' in body) && !('error' in body);
        case 'ok':
          if (Array.isArray(body)) return true;
          if (body?.id === projectId || body?.id === credential.userId) return true;
          return typeof body?.id === 'number' && (body?.token !== undefined || body?.access_level === 10);
      }
    })();
    if (answer.status === expected.status && bodyOk) return null;
    return `${cell.credential.name} | ${cell.role} | ${cell.visibility}: expected ${expected.status} ${expected.body}, got ${answer.status} ${answer.text.slice(0, 120)}`;
  }

  describe.each(ENDPOINTS)('$name', (endpoint) => {
    it.each(CREDENTIALS)(
      'answers $name as the policy says, for every role and visibility',
      async (credential) => {
        const cells = credential.roles.flatMap((role) =>
          VISIBILITIES.map((visibility) => ({ credential, role, visibility })),
        );
        const mismatches: string[] = [];
        for (const cell of cells) {
          const presentedAs = presented.get(keyOf(credential.name, cell.role, cell.visibility))!;
          const answer = await request(endpoint.name, cell, presentedAs);
          const projectId = projects.get(cell.visibility)!.project.id;
          const problem = mismatch(endpoint.rule(cell), answer, cell, presentedAs, projectId);
          if (problem) mismatches.push(problem);
        }
        expect(mismatches).toEqual([]);
      },
    );
  });
});
