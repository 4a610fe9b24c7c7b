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
