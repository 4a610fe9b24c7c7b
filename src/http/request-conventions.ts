import type { IncomingHttpHeaders } from 'node:http';
import type { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import formbody from '@fastify/formbody';
import { Busboy, type BusboyHeaders, type BusboyInstance } from '@fastify/busboy';
import { TesseraError } from '../errors/tessera-error.ts';

/*
 * How GitLab's Rails stack reads parameters, done once for every route and every encoding: the query
 * string, `application/x-www-form-urlencoded` and `multipart/form-data` bodies (GitLab's own docs use
 * `curl --form`) all become the same nested object a JSON body gives.
 *
 *   scopes[]=api&scopes[]=read_user   -> { scopes: ['api', 'read_user'] }
 *   variables[KEY]=value              -> { variables: { KEY: 'value' } }
 *   filter[environment_scope]=prod    -> { filter: { environment_scope: 'prod' } }
 *   tag=a&tag=b                       -> { tag: ['a', 'b'] }
 */

/** More parameters than any GitLab request has: refused rather than spent time on. */
export const MAX_PARAMETERS = 1000;
/** Deeper than any GitLab parameter (`a[b][c][]`). */
const MAX_DEPTH = 4;
/** Keys that would reach an object's prototype. */
const UNSAFE_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

export type NestedParams = Record<string, unknown>;

/** Rails' bracket convention over a list of pairs, in order; later plain keys repeat into arrays. */
export function nestParameters(pairs: Iterable<readonly [string, string]>): NestedParams {
  const root: NestedParams = {};
  let count = 0;
  for (const [key, value] of pairs) {
    if (++count > MAX_PARAMETERS)
      throw new TesseraError('bad_request', '400 Bad request - Too many parameters');
    const path = keyPath(key);
    if (path) assign(root, path, value);
  }
  return root;
}

/** `a[b][]` -> ['a', 'b', '']; null for a key that cannot be stored safely. */
function keyPath(key: string): string[] | null {
  const match = /^([^[\]]+)((?:\[[^[\]]*\])*)$/.exec(key);
  // Not bracket-shaped (`a]b`, `[x]`): kept whole, as a plain name.
  const path = match ? [match[1]!, ...[...match[2]!.matchAll(/\[([^[\]]*)\]/g)].map((m) => m[1]!)] : [key];
  if (path.length > MAX_DEPTH + 1 || path.some((part) => UNSAFE_KEYS.has(part))) return null;
  return path;
}

function assign(target: NestedParams, path: readonly string[], value: string): void {
  const [head, ...rest] = path as [string, ...string[]];
  const existing = Object.hasOwn(target, head) ? target[head] : undefined;
  if (rest.length === 0) {
    target[head] =
      existing === undefined ? value : [...(Array.isArray(existing) ? existing : [existing]), value];
    return;
  }
  if (rest[0] === '') {
    const list: unknown[] = Array.isArray(existing) ? existing : existing === undefined ? [] : [existing];
    target[head] = list;
    const childPath = rest.slice(1);
    if (childPath.length === 0) {
      // `a[]=x` appends.
      list.push(value);
      return;
    }
    // `a[][b]=x` is an array of hashes (`granular_scopes[][access]`), grouped as Rack does: a key goes
    // into the last hash until that hash already has it, and a list inside (`a[][c][]=y`) always does.
    const last = list[list.length - 1];
    const intoLast = isPlainObject(last) && (childPath.includes('') || !Object.hasOwn(last, childPath[0]!));
    const hash: NestedParams = intoLast ? (last as NestedParams) : {};
    if (!intoLast) list.push(hash);
    assign(hash, childPath, value);
    return;
  }
  const child = isPlainObject(existing) ? existing : {};
  target[head] = child;
  assign(child, rest, value);
}

function isPlainObject(value: unknown): value is NestedParams {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A query string or urlencoded body, read the Rails way. */
export function parseUrlEncoded(text: string): NestedParams {
  return nestParameters(new URLSearchParams(text));
}

/**
 * Registers the parsers: query string, urlencoded and multipart bodies. File parts of a multipart body
 * are read as text (a `--form "value=@file"` upload of a variable's value).
 */
export function installRequestConventions(app: FastifyInstance, bodyLimit: number): void {
  void app.register(formbody, { parser: parseUrlEncoded, bodyLimit });
  app.addContentTypeParser('multipart/form-data', (request, payload, done) => {
    readMultipart(request.headers, payload, bodyLimit).then(
      (pairs) => done(null, nestParameters(pairs)),
      (error: Error) => done(error, undefined),
    );
  });
}

const tooLarge = (): Error => Object.assign(new Error('Request body is too large'), { statusCode: 413 });
const malformed = (): TesseraError =>
  new TesseraError('bad_request', '400 Bad request - Malformed multipart body');

/** The fields and file parts of a multipart body, in order, within the body limit. */
function readMultipart(
  headers: IncomingHttpHeaders,
  payload: Readable,
  bodyLimit: number,
): Promise<[string, string][]> {
  return new Promise((resolve, reject) => {
    const pairs: [string, string][] = [];
    let settled = false;
    const fail = (error: Error) => {
      if (settled) return;
      settled = true;
      payload.unpipe();
      payload.resume();
      reject(error);
    };
    let parser: BusboyInstance;
    try {
      parser = new Busboy({
        headers: headers as BusboyHeaders,
        limits: {
          fields: MAX_PARAMETERS,
          parts: MAX_PARAMETERS,
          files: 20,
          fieldSize: bodyLimit,
          fileSize: bodyLimit,
        },
      });
    } catch {
      fail(malformed());
      return;
    }
    let received = 0;
    payload.on('data', (chunk: Buffer) => {
      received += chunk.length;
      if (received > bodyLimit) fail(tooLarge());
    });
    parser.on('field', (name, value) => pairs.push([name, value]));
    parser.on('file', (name, stream) => {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('limit', () => fail(tooLarge()));
      stream.on('end', () => pairs.push([name, Buffer.concat(chunks).toString('utf8')]));
    });
    parser.on('partsLimit', () =>
      fail(new TesseraError('bad_request', '400 Bad request - Too many parameters')),
    );
    parser.on('fieldsLimit', () =>
      fail(new TesseraError('bad_request', '400 Bad request - Too many parameters')),
    );
    parser.on('filesLimit', () => fail(new TesseraError('bad_request', '400 Bad request - Too many files')));
    parser.on('error', () => fail(malformed()));
    parser.on('finish', () => {
      if (settled) return;
      settled = true;
      resolve(pairs);
    });
    payload.pipe(parser);
  });
}
