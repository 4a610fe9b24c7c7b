import { Validator } from '@seriousme/openapi-schema-validator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { documentedUrl, OPENAPI_PATH } from '../../src/http/openapi.ts';
import { routeTableOf } from '../../src/http/route-table.ts';
import { startTestInstance, type TestInstance } from '../support/instance.ts';

/** `/projects/:id/members/:user_id` as OpenAPI writes it: `/projects/{id}/members/{user_id}`. */
const openApiPath = (url: string) => documentedUrl(url).replace(/:([A-Za-z_]\w*)/g, '{$1}');

describe('GET /api/v4/openapi.json', () => {
  let instance: TestInstance;
  let document: {
    paths: Record<string, Record<string, unknown>>;
    components: Record<string, Record<string, unknown>>;
  };

  beforeAll(async () => {
    instance = await startTestInstance({ name: 'openapi' });
    const response = await fetch(`${instance.url}${OPENAPI_PATH}`);
    expect(response.status).toBe(200);
    document = (await response.json()) as typeof document;
  });
  afterAll(() => instance.stop());

  it('is a valid OpenAPI 3.1 document', async () => {
    const result = await new Validator().validate(document as never);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect((document as unknown as { openapi: string }).openapi).toBe('3.1.0');
  });

  it('covers every route of the route table', () => {
    const table = routeTableOf(instance.app);
    expect(table.length).toBeGreaterThan(100);
    const missing = table.filter(
      (route) => !document.paths[openApiPath(route.url)]?.[route.method.toLowerCase()],
    );
    expect(missing).toEqual([]);
  });

  /** One operation of the document, as the tests below read it. */
  interface Operation {
    parameters?: { in: string; name: string; required?: boolean; schema: Record<string, unknown> }[];
    requestBody?: { content: Record<string, { schema: BodySchema }> };
    responses: Record<string, unknown>;
  }
  interface BodySchema {
    properties?: Record<string, Record<string, unknown>>;
    required?: string[];
  }
  const operation = (path: string, method: string) => document.paths[path]?.[method] as Operation;
  const bodyOf = (op: Operation) => op.requestBody?.content['application/json']?.schema;
  const queryOf = (op: Operation) => (op.parameters ?? []).filter((p) => p.in === 'query');

  it('documents what every /api/v4 write takes, from the route’s own declaration', () => {
    const writes = routeTableOf(instance.app).filter(
      (route) => route.url.startsWith('/api/v4/') && ['POST', 'PUT', 'PATCH'].includes(route.method),
    );
    expect(writes.length).toBeGreaterThan(50);
    // A write that takes nothing says so with an empty declaration; one whose parameters travel in
    // the query (a webhook's trigger, a runner's log chunk) documents them there.
    const undocumented = writes.filter((route) => {
      const op = operation(openApiPath(route.url), route.method.toLowerCase());
      return !bodyOf(op) && queryOf(op).length === 0;
    });
    expect(undocumented).toEqual([]);
  });

  it('says what a token creation takes: name required, scopes an array, expires_at a date', () => {
    const body = bodyOf(operation('/api/v4/user/personal_access_tokens', 'post'))!;
    // A personal token takes exactly one of scopes and granular_scopes, so neither is required alone.
    expect(body.required).toEqual(['name']);
    expect(body.properties!.scopes).toMatchObject({ type: 'array', items: { type: 'string' } });
    expect(body.properties!.granular_scopes).toMatchObject({ type: 'array', items: { type: 'object' } });
    expect(body.properties!.expires_at).toMatchObject({ type: 'string', format: 'date' });
    expect(body.properties!.name!.description).toEqual(expect.any(String));

    const projectToken = bodyOf(operation('/api/v4/projects/{id}/access_tokens', 'post'))!;
    expect(projectToken.required).toEqual(expect.arrayContaining(['name', 'scopes']));
    expect(projectToken.properties!.access_level).toMatchObject({ type: 'integer' });
    expect(bodyOf(operation('/api/v4/user/personal_access_tokens', 'post'))!.properties).not.toHaveProperty(
      'access_level',
    );
  });

  it('says what a list filters on, with booleans, choices, hashes and pagination', () => {
    const users = queryOf(operation('/api/v4/users', 'get'));
    expect(users.find((p) => p.name === 'blocked')?.schema).toMatchObject({ type: 'boolean' });
    expect(users.map((p) => p.name)).toEqual(expect.arrayContaining(['page', 'per_page', 'search']));

    const tokens = queryOf(operation('/api/v4/personal_access_tokens', 'get'));
    expect(tokens.find((p) => p.name === 'state')?.schema).toMatchObject({ enum: ['active', 'inactive'] });

    const trigger = bodyOf(operation('/api/v4/projects/{id}/trigger/pipeline', 'post'))!;
    expect(trigger.required).toEqual(expect.arrayContaining(['token', 'ref']));
    expect(trigger.properties!.variables).toMatchObject({ type: 'object' });

    const deployToken = bodyOf(operation('/api/v4/projects/{id}/deploy_tokens', 'post'))!;
    expect((deployToken.properties!.scopes!.items as { enum: string[] }).enum).toContain('read_registry');
  });

  it('names the ways a credential travels, sudo included, and the platform error shapes', () => {
    expect(Object.keys(document.components.securitySchemes!).sort()).toEqual(
      ['basic', 'bearer', 'job_token', 'private_token', 'sudo'].sort(),
    );
    const createPat = document.paths['/api/v4/user/personal_access_tokens']!.post as {
      responses: Record<string, unknown>;
    };
    expect(Object.keys(createPat.responses)).toEqual(expect.arrayContaining(['400', '401', '403', '404']));
  });
});
