import { readdirSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CREDENTIALS, credentialTerm, type CredentialName } from './credential-vocabulary.ts';
import { PRESENTERS } from './support/credential-probes.ts';
import { checkFlowPage, liveOracle, type FlowOracle } from './support/check-flows.ts';
import { parseFlowPage } from './support/flow-diagrams.ts';
import { startLiveWorld, type LiveWorld } from './support/probe-world.ts';

/*
 * Every sequence diagram in docs/flows/ is checked against the running system: each request to a
 * Tessera participant names a real route (or RPC) of that role, and the credential it names is one
 * the role really accepts — proven by sending it, live, from a seeded world — or really refuses where
 * the diagram says so. A renamed route or a changed authentication rule fails here, naming the line.
 */

const DIR = 'docs/flows';
const pages = readdirSync(DIR)
  .filter((name) => name.endsWith('.md') && name !== 'README.md')
  .sort();
const read = (name: string) => readFileSync(`${DIR}/${name}`, 'utf8');

let world: LiveWorld;
let oracle: FlowOracle;

beforeAll(async () => {
  world = await startLiveWorld();
  oracle = liveOracle(world);
}, 180_000);
afterAll(async () => world?.stop());

describe('flow diagrams', { timeout: 120_000 }, () => {
  it.each(pages)('%s: every request names a real route and a credential it accepts', async (name) => {
    const failures = await checkFlowPage(`${DIR}/${name}`, read(name), oracle);
    expect(failures).toEqual([]);
    expect(parseFlowPage(name, read(name)).requests.filter((r) => r.role).length).toBeGreaterThan(0);
  });
});

describe('the checker itself', { timeout: 120_000 }, () => {
  const diagram = (...lines: string[]) =>
    [
      '# self-test',
      '```mermaid',
      'sequenceDiagram',
      '    participant J as Job',
      '    participant I as Instance',
      '    %% tessera: I=instance',
      ...lines.map((line) => `    ${line}`),
      '```',
    ].join('\n');
  const check = (text: string) => checkFlowPage('docs/flows/self-test.md', text, oracle);

  it('passes a true diagram, including a credential the route refuses where it says so', async () => {
    expect(
      await check(
        diagram(
          'J->>I: GET /api/v4/job [JOB-TOKEN]',
          'I-->>J: 200 the job',
          'J->>I: GET /api/v4/user [JOB-TOKEN]',
          'I-->>J: 401 outside the job-token endpoint set',
          'J->>I: GET /api/v4/job [JOB-TOKEN, job finished]',
        ),
      ),
    ).toEqual([]);
  });

  it('names the line of a renamed route', async () => {
    expect(await check(diagram('J->>I: GET /api/v4/jobz [JOB-TOKEN]'))).toEqual([
      'docs/flows/self-test.md:7: GET /api/v4/jobz [JOB-TOKEN]: no such route on instance',
    ]);
  });

  it('names the line of a credential the route does not accept', async () => {
    const failures = await check(diagram('J->>I: GET /api/v4/user [JOB-TOKEN]', 'I-->>J: 200 the user'));
    expect(failures).toHaveLength(1);
    expect(failures[0]).toMatch(
      /^docs\/flows\/self-test\.md:7: GET \/api\/v4\/user \[JOB-TOKEN\]: the instance does not accept JOB-TOKEN here \(answered 401/,
    );
  });

  it('names the line of a refusal the route does not make, an unknown credential and a bad label', async () => {
    const failures = await check(
      diagram(
        'J->>I: GET /api/v4/job [JOB-TOKEN]',
        'I-->>J: 401',
        'J->>I: GET /api/v4/user [PRIVATE-TOKEN: token]',
        'J->>I: fetch the user',
      ),
    );
    expect(failures).toEqual([
      expect.stringMatching(
        /^docs\/flows\/self-test\.md:7: .*the diagram says JOB-TOKEN is refused, but the instance accepts it/,
      ),
      'docs/flows/self-test.md:9: "PRIVATE-TOKEN: token" is not a credential name of docs/flows/README.md',
      expect.stringMatching(
        /^docs\/flows\/self-test\.md:10: fetch the user: a request to the instance must read/,
      ),
    ]);
  });
});

describe('the flow pages', () => {
  const index = readFileSync(`${DIR}/README.md`, 'utf8');

  it('the index documents exactly the vocabulary, and every kind Tessera accepts can be probed', () => {
    const documented = [...index.matchAll(/^\| `([^`]+)` +\|/gm)].map((m) => m[1]);
    expect(documented).toEqual(Object.keys(CREDENTIALS));
    for (const name of Object.keys(CREDENTIALS) as CredentialName[]) {
      expect(PRESENTERS[name] !== undefined, name).toBe(credentialTerm(name)!.external !== true);
    }
  });

  it.each(pages)(
    '%s has a diagram, a token table, failure cases, a walkthrough and links to the index',
    (name) => {
      const text = read(name);
      expect(index, 'the index links the page').toContain(`](${name})`);
      expect(text).toContain('](README.md)');
      expect(text).toMatch(/```mermaid\s+sequenceDiagram/);
      expect(text).toMatch(/^\|[^\n]*issuer[^\n]*audience[^\n]*lifetime[^\n]*stored[^\n]*revokes/im);
      expect(text).toMatch(/^## .*(go wrong|fail)/im);
      expect(text).toMatch(/^```sh walkthrough/m);
    },
  );

  it('README links docs/flows/', () => {
    expect(readFileSync('README.md', 'utf8')).toContain('(docs/flows/');
  });
});
