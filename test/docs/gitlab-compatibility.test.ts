import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { routeTableOf } from '../../src/http/route-table.ts';
import { startTestInstance, type TestInstance } from '../support/instance.ts';

/*
 * docs/gitlab-compatibility.md against the instance's route table: what it calls supported exists,
 * what it calls "not yet" does not, and no /api/v4 route is left out of it.
 */

const PAGE = 'docs/gitlab-compatibility.md';
const STATES = ['supported', 'partly', 'not yet', 'Tessera only'] as const;
type State = (typeof STATES)[number];

interface Row {
  method: string;
  path: string;
  state: State;
  line: number;
}

/** Parameter names differ between GitLab's docs and the routes; only their places matter. */
const shape = (method: string, path: string) => `${method} ${path.replace(/:[A-Za-z_]\w*/g, ':')}`;

function endpointRows(text: string): Row[] {
  return text.split('\n').flatMap((line, index) => {
    const match = /^\|\s*`(GET|POST|PUT|PATCH|DELETE) (\/[^`]*)`\s*\|\s*([^|]+?)\s*\|/.exec(line);
    if (!match) return [];
    return [{ method: match[1]!, path: match[2]!, state: match[3] as State, line: index + 1 }];
  });
}

describe(PAGE, () => {
  let instance: TestInstance;
  let routes: Set<string>;
  const rows = endpointRows(readFileSync(PAGE, 'utf8'));

  beforeAll(async () => {
    instance = await startTestInstance({ name: 'gitlab-compatibility' });
    routes = new Set(routeTableOf(instance.app).map((route) => shape(route.method, route.url)));
  });
  afterAll(() => instance.stop());

  it('lists endpoints, each with a known state, once', () => {
    expect(rows.length).toBeGreaterThan(100);
    expect(rows.filter((row) => !STATES.includes(row.state))).toEqual([]);
    const seen = rows.map((row) => shape(row.method, row.path));
    expect(seen.filter((key, index) => seen.indexOf(key) !== index)).toEqual([]);
  });

  it('calls an endpoint served exactly when the instance serves it', () => {
    const wrong = rows.filter((row) => routes.has(shape(row.method, row.path)) === (row.state === 'not yet'));
    expect(wrong.map((row) => `line ${row.line}: ${row.method} ${row.path} is "${row.state}"`)).toEqual([]);
  });

  it('leaves no /api/v4 route out', () => {
    const listed = new Set(rows.map((row) => shape(row.method, row.path)));
    const missing = routeTableOf(instance.app)
      .filter((route) => route.url.startsWith('/api/v4/') && !listed.has(shape(route.method, route.url)))
      .map((route) => `${route.method} ${route.url}`);
    expect(missing).toEqual([]);
  });
});
