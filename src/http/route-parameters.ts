import type { FastifyInstance, FastifyRequest, FastifySchema } from 'fastify';

/*
 * What a route takes, declared once beside the route, the way GitLab's Grape endpoints declare
 * `requires :name, type: String`. A declaration is a JSON schema in the route's `schema.querystring`
 * or `schema.body`, so the OpenAPI document is generated from it; it never validates a request (the
 * readers in api-params.ts keep GitLab's coercions and 400s), and a route that reads a parameter its
 * declaration does not name fails at once (`UndeclaredParameterError`), so the two cannot drift.
 */

type ScalarType = 'string' | 'integer' | 'boolean';

/** One parameter: its type, whether it is required, and (for the document) what it means. */
export type ParameterSpec =
  | {
      type: ScalarType;
      required?: boolean;
      description?: string;
      /** The words `optionalChoice` accepts. */
      enum?: readonly string[];
      format?: 'date' | 'date-time' | 'uri' | 'email';
    }
  | {
      type: 'array';
      /** `object`: a list of hashes (`granular_scopes`; `a[][key]` in a form), read whole by the route. */
      items: ScalarType | 'object';
      required?: boolean;
      description?: string;
      enum?: readonly string[];
    }
  /** A hash of arbitrary keys (`variables[KEY]=value`): the route may read any key inside it. */
  | { type: 'object'; required?: boolean; description?: string };

export type ParameterSpecs = Readonly<Record<string, ParameterSpec>>;

/** Where clients send the parameters: the query string (GET, DELETE) or the body (POST, PUT, PATCH). */
export type ParameterLocation = 'query' | 'body';

/** The declared names of every declaration, by the schema object Fastify keeps for the route. */
const DECLARED_NAMES = new WeakMap<object, ReadonlySet<string>>();

/** GitLab's `page` and `per_page`, read by `pageRequest` on every list. */
export const PAGINATION: ParameterSpecs = {
  page: { type: 'integer', description: 'Page number (default 1)' },
  per_page: { type: 'integer', description: 'Items per page (default 20, at most 100)' },
};

/**
 * A route's parameter declaration, as its Fastify `schema`.
 *
 * @example
 * app.post('/api/v4/user/personal_access_tokens', {
 *   schema: parameters({ name: { type: 'string', required: true }, expires_at: { type: 'string', format: 'date' } }, { in: 'body' }),
 * }, handler);
 */
export function parameters(specs: ParameterSpecs, options: { in: ParameterLocation }): FastifySchema {
  const schema = {
    type: 'object',
    properties: Object.fromEntries(Object.entries(specs).map(([name, spec]) => [name, propertyOf(spec)])),
    ...requiredOf(specs),
  };
  DECLARED_NAMES.set(schema, new Set(Object.keys(specs)));
  return options.in === 'query' ? { querystring: schema } : { body: schema };
}

/**
 * A write that takes nothing but its path (`POST …/block`), said so: every write route declares what
 * it reads, even when that is nothing, and reading anything there is a bug.
 */
export const NO_PARAMETERS: FastifySchema = parameters({}, { in: 'body' });

function propertyOf(spec: ParameterSpec): Record<string, unknown> {
  const { required: _required, ...rest } = spec;
  if (rest.type === 'array') {
    const { items, enum: choices, ...array } = rest;
    return { ...array, items: choices ? { type: items, enum: choices } : { type: items } };
  }
  return rest.type === 'object' ? { ...rest, additionalProperties: true } : { ...rest };
}

function requiredOf(specs: ParameterSpecs): { required?: string[] } {
  const required = Object.keys(specs).filter((name) => specs[name]!.required);
  return required.length > 0 ? { required } : {};
}

/** A route read a parameter its declaration does not name: a bug in the route, never the client's. */
export class UndeclaredParameterError extends Error {
  constructor(route: string, name: string) {
    super(`${route} reads the parameter "${name}", which its declaration does not name`);
    this.name = 'UndeclaredParameterError';
  }
}

const NOTHING: ReadonlySet<string> = new Set();
/** A route's query and body names together, made once per route (a route rarely declares both). */
const ROUTE_NAMES = new WeakMap<object, ReadonlySet<string>>();

/** The names a request's route declares, query and body together; empty when it declares none. */
function declaredNamesOf(request: FastifyRequest): ReadonlySet<string> {
  const schema = request.routeOptions.schema;
  if (!schema) return NOTHING;
  const known = ROUTE_NAMES.get(schema);
  if (known) return known;
  const fromQuery = schema.querystring ? DECLARED_NAMES.get(schema.querystring) : undefined;
  const fromBody = schema.body ? DECLARED_NAMES.get(schema.body) : undefined;
  const names =
    fromQuery && fromBody ? new Set([...fromQuery, ...fromBody]) : (fromQuery ?? fromBody ?? NOTHING);
  ROUTE_NAMES.set(schema, names);
  return names;
}

/**
 * `params` as the route may read it: reading a name the route does not declare throws. Clients may
 * still send anything (unknown parameters are ignored); only the route's own reads are checked.
 */
export function declaredView<T extends Record<string, unknown>>(request: FastifyRequest, params: T): T {
  const declared = declaredNamesOf(request);
  return new Proxy(params, {
    get(target, name, receiver) {
      if (typeof name === 'string' && !declared.has(name) && !declared.has(arrayNameOf(name))) {
        throw new UndeclaredParameterError(`${request.method} ${request.routeOptions.url ?? '?'}`, name);
      }
      return Reflect.get(target, name, receiver) as unknown;
    },
  });
}

/** `scopes[]` as a JSON body may spell it: the same parameter as `scopes`. */
const arrayNameOf = (name: string) => (name.endsWith('[]') ? name.slice(0, -2) : name);

/** Accepts every value: declarations describe, the readers check. */
const acceptEverything = () => () => true;

/**
 * Keeps Fastify's ajv away from declarations: a route whose validation schemas are all declarations
 * gets a validator that accepts everything (Grape booleans like `True` and GitLab's 400 shapes stay
 * the readers' business). Routes with schemas of their own keep Fastify's validation; a route that
 * mixes the two is a mistake found at start-up.
 */
export function installParameterDeclarations(app: FastifyInstance): void {
  app.addHook('onRoute', (route) => {
    const schema = route.schema;
    if (!schema || route.validatorCompiler) return;
    const parts = [schema.querystring, schema.body, schema.params, schema.headers].filter(Boolean);
    const declarations = parts.filter((part) => DECLARED_NAMES.has(part as object));
    if (declarations.length === 0) return;
    if (declarations.length !== parts.length) {
      throw new Error(
        `${String(route.method)} ${route.url} mixes parameter declarations with validating schemas`,
      );
    }
    route.validatorCompiler = acceptEverything;
  });
}
