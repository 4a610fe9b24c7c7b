import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestInstance, type TestInstance } from '../support/instance.ts';
import { rememberSecret } from '../support/secrets.ts';
import { createGroup, createProject } from '../support/world.ts';

describe('git over HTTP under brute force', () => {
  let instance: TestInstance;
  let refsUrl: string;

  beforeAll(async () => {
    instance = await startTestInstance({ name: 'git-brute-force', env: { TESSERA_AUTH_FAILURE_LIMIT: '3' } });
    const group = await createGroup(instance.context.db, { path: 'bf' });
    const project = await createProject(instance.context.db, group, { path: 'repo' });
    refsUrl = `${instance.url}/${project.full_path}.git/info/refs?service=git-upload-pack`;
  });
  afterAll(async () => {
    await instance.stop();
  });

  it('answers wrong basic credentials with 401 until the limit, then 429 with Retry-After even for a right one', async () => {
    const wrong = rememberSecret('glpat-WrongWrongWrongWrong0000');
    const basic = `Basic ${Buffer.from(`someone:${wrong}`).toString('base64')}`;
    for (let i = 0; i < 3; i++) {
      const response = await fetch(refsUrl, { headers: { authorization: basic } });
      expect(response.status).toBe(401);
    }
    const locked = await fetch(refsUrl, { headers: { authorization: basic } });
    expect(locked.status).toBe(429);
    expect(Number(locked.headers.get('retry-after'))).toBeGreaterThan(0);
    const events = await instance.context.db
      .selectFrom('audit_events')
      .select('action')
      .where('action', '=', 'token.authentication_locked')
      .execute();
    expect(events.length).toBeGreaterThan(0);
  });
});
