import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readApplicationSetting } from '../../src/store/application-settings.repository.ts';
import { findProjectByFullPath } from '../../src/store/projects.repository.ts';
import { DEMO_SEEDED_SETTING, seedDemo } from '../../src/runtime/seed-demo.ts';
import { ENGINES } from '../support/databases.ts';
import { startTestInstance, type TestInstance } from '../support/instance.ts';
import { rememberSecret } from '../support/secrets.ts';

/** Item 5 of issue #16: the demo is seeded once per database and never undoes an administrator. */
describe.each(ENGINES)('the demo seed (%s)', (engine) => {
  let instance: TestInstance;
  beforeAll(async () => {
    instance = await startTestInstance({ engine, name: `seed-demo-${engine}` });
  });
  afterAll(async () => {
    await instance.stop();
  });

  it('seeds once: a project the administrator deleted is not made again by a later start', async () => {
    const first = await seedDemo(instance.context);
    const token = rememberSecret(/root token:\s+(\S+)/.exec(first.join('\n'))![1]!);
    rememberSecret(/root password:\s+(\S+)/.exec(first.join('\n'))![1]!);
    expect(await readApplicationSetting(instance.context.db, DEMO_SEEDED_SETTING)).toEqual(
      expect.any(String),
    );
    expect(await findProjectByFullPath(instance.context.db, 'demo/hello')).toBeDefined();

    const deleted = await fetch(`${instance.url}/api/v4/projects/${encodeURIComponent('demo/hello')}`, {
      method: 'DELETE',
      headers: { 'private-token': token },
    });
    expect(deleted.status).toBeLessThan(300);
    expect(await findProjectByFullPath(instance.context.db, 'demo/hello')).toBeUndefined();

    const again = await seedDemo(instance.context);
    expect(again.join('\n')).not.toMatch(/root token:|root password:/);
    expect(await findProjectByFullPath(instance.context.db, 'demo/hello')).toBeUndefined();
  });
});
