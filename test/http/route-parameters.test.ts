import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { apiParams, optionalBoolean, optionalString, requiredString } from '../../src/http/api-params.ts';
import { pageRequest } from '../../src/http/pagination.ts';
import {
  installParameterDeclarations,
  NO_PARAMETERS,
  PAGINATION,
  parameters,
  UndeclaredParameterError,
} from '../../src/http/route-parameters.ts';

let app: FastifyInstance | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

/** A bare server with the declarations layer, whose errors answer their class name. */
function server(): FastifyInstance {
  app = Fastify();
  installParameterDeclarations(app);
  app.setErrorHandler((error, _request, reply) => {
    const { statusCode, status, name } = error as { statusCode?: number; status?: number; name: string };
    return reply.status(statusCode ?? status ?? 500).send({ error: name });
  });
  return app;
}

describe('parameters()', () => {
  it('is the JSON schema the document shows: types, required names, choices, formats and array items', () => {
    const schema = parameters(
      {
        name: { type: 'string', required: true, description: 'Name' },
        scopes: { type: 'array', items: 'string', enum: ['api', 'read_api'] },
        expires_at: { type: 'string', format: 'date' },
        state: { type: 'string', enum: ['active', 'inactive'] },
        variables: { type: 'object' },
      },
      { in: 'body' },
    );
    expect(schema).toEqual({
      body: {
        type: 'object',
        properties: {
          name: { type: 'string', description: 'Name' },
          scopes: { type: 'array', items: { type: 'string', enum: ['api', 'read_api'] } },
          expires_at: { type: 'string', format: 'date' },
          state: { type: 'string', enum: ['active', 'inactive'] },
          variables: { type: 'object', additionalProperties: true },
        },
        required: ['name'],
      },
    });
    expect(parameters({ page: { type: 'integer' } }, { in: 'query' })).toHaveProperty('querystring');
  });
});

describe('a route that declares its parameters', () => {
  it('reads them through the readers, with Grape booleans and GitLab 400s instead of Fastify validation', async () => {
    const app = server();
    app.get(
      '/users',
      { schema: parameters({ blocked: { type: 'boolean' }, ...PAGINATION }, { in: 'query' }) },
      async (request) => ({
        blocked: optionalBoolean(apiParams(request), 'blocked'),
        ...pageRequest(request),
      }),
    );
    app.post(
      '/tokens',
      { schema: parameters({ name: { type: 'string', required: true } }, { in: 'body' }) },
      async (request) => ({ name: requiredString(apiParams(request), 'name') }),
    );

    const users = await app.inject({ url: '/users?blocked=True&per_page=5&unknown=1' });
    expect(users.statusCode).toBe(200);
    expect(users.json()).toMatchObject({ blocked: true, perPage: 5 });
    // A declared `required` does not make Fastify answer: the reader's own 400 does.
    const missing = await app.inject({ method: 'POST', url: '/tokens', payload: {} });
    expect(missing.statusCode).toBe(400);
    expect(missing.json()).toEqual({ error: 'TesseraError' });
  });

  it('fails when it reads a name it does not declare, whether or not the client sent it', async () => {
    const app = server();
    app.get(
      '/drifted',
      { schema: parameters({ name: { type: 'string' } }, { in: 'query' }) },
      async (request) => optionalString(apiParams(request), 'undeclared') ?? 'none',
    );
    app.post('/nothing', { schema: NO_PARAMETERS }, async (request) => apiParams(request).name ?? 'none');
    app.get('/undeclared-list', async (request) => pageRequest(request));

    for (const url of ['/drifted', '/drifted?undeclared=x']) {
      const response = await app.inject({ url });
      expect(response.statusCode).toBe(500);
      expect(response.json()).toEqual({ error: 'UndeclaredParameterError' });
    }
    expect((await app.inject({ method: 'POST', url: '/nothing', payload: {} })).statusCode).toBe(500);
    expect((await app.inject({ url: '/undeclared-list' })).statusCode).toBe(500);
    expect(new UndeclaredParameterError('GET /drifted', 'undeclared').message).toBe(
      'GET /drifted reads the parameter "undeclared", which its declaration does not name',
    );
  });

  it('may declare some names in the query and others in the body, and reads both', async () => {
    const app = server();
    app.post(
      '/both',
      {
        schema: {
          ...parameters({ token: { type: 'string' } }, { in: 'query' }),
          ...parameters({ ref: { type: 'string' } }, { in: 'body' }),
        },
      },
      async (request) => {
        const params = apiParams(request);
        return { token: params.token, ref: params.ref };
      },
    );
    for (let i = 0; i < 2; i++) {
      const response = await app.inject({ method: 'POST', url: '/both?token=t', payload: { ref: 'main' } });
      expect(response.json()).toEqual({ token: 't', ref: 'main' });
    }
  });

  it('may read `scopes[]`, the spelling a JSON body may use, when it declares `scopes`', async () => {
    const app = server();
    app.post(
      '/scopes',
      { schema: parameters({ scopes: { type: 'array', items: 'string' } }, { in: 'body' }) },
      async (request) => {
        const params = apiParams(request);
        return { scopes: params.scopes ?? params['scopes[]'] };
      },
    );
    const response = await app.inject({ method: 'POST', url: '/scopes', payload: { 'scopes[]': ['api'] } });
    expect(response.json()).toEqual({ scopes: ['api'] });
  });
});

describe('routes with schemas of their own', () => {
  it('keep Fastify validation', async () => {
    const app = server();
    app.post(
      '/validated',
      {
        schema: {
          body: { type: 'object', required: ['prompt'], properties: { prompt: { type: 'string' } } },
        },
      },
      async () => 'ok',
    );
    expect((await app.inject({ method: 'POST', url: '/validated', payload: {} })).statusCode).toBe(400);
    expect(
      (await app.inject({ method: 'POST', url: '/validated', payload: { prompt: 'x' } })).statusCode,
    ).toBe(200);
  });

  it('may not mix a declaration with a validating schema', async () => {
    const app = server();
    const register = async () => {
      app.post(
        '/mixed/:id',
        {
          schema: {
            ...parameters({ name: { type: 'string' } }, { in: 'body' }),
            params: { type: 'object', properties: { id: { type: 'integer' } } },
          },
        },
        async () => 'ok',
      );
      await app.ready();
    };
    await expect(register()).rejects.toThrow(/mixes parameter declarations/);
  });
});
