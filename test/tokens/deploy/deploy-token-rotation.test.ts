import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACCESS_LEVELS } from '../../../src/identity/access-levels.ts';
import type { Project, User } from '../../../src/store/schema.ts';
import { upsertProjectDeploySettings } from '../../../src/store/project-deploy-settings.repository.ts';
import { DeployTokenResolver } from '../../../src/tokens/deploy/deploy-token.resolver.ts';
import {
  revokeResourceDeployToken,
  type DeployTokenResource,
} from '../../../src/tokens/deploy/deploy-token.service.ts';
import { rotateDeployToken } from '../../../src/tokens/deploy/rotate-deploy-token.service.ts';
import { ENGINES } from '../../support/databases.ts';
import { rememberSecret } from '../../support/secrets.ts';
import { addMember, createGroup, createProject, createUser } from '../../support/world.ts';
import { refusal } from '../token-fixtures.ts';
import { START, actorOf, deployWorld, giveDeployToken, type DeployWorld } from './deploy-fixtures.ts';

describe.each(ENGINES)('deploy token rotation with overlap on %s', (engine) => {
  let world: DeployWorld;
  let resolver: DeployTokenResolver;
  let project: Project;
  let maintainer: User;
  let onProject: DeployTokenResource;

  const rotate = async (tokenId: number) => {
    const rotated = await rotateDeployToken(world.deps, actorOf(maintainer), maintainer, onProject, tokenId);
    rememberSecret(rotated.plaintext);
    return rotated;
  };
  const works = async (username: string, secret: string) =>
    (await resolver.resolve(username, secret)) !== null;

  beforeAll(async () => {
    world = await deployWorld(engine);
    resolver = new DeployTokenResolver(world.deps);
    project = await createProject(world.db, await createGroup(world.db), { path: 'app' });
    maintainer = await createUser(world.db);
    await addMember(world.db, project, maintainer, ACCESS_LEVELS.maintainer);
    onProject = { kind: 'project', project };
  });
  afterAll(() => world.destroy());

  it('keeps the old secret working for the default 24 hours, under the same id and username', async () => {
    world.clock.set(START);
    const original = await giveDeployToken(world, maintainer, onProject);
    const rotated = await rotate(original.token.id);
    expect(rotated.token).toMatchObject({ id: original.token.id, username: original.token.username });
    expect(rotated.plaintext).not.toBe(original.plaintext);
    expect(rotated.previousValidUntil).toBe('2026-03-02T12:00:00.000Z');
    expect(await works(original.token.username, original.plaintext)).toBe(true);
    expect(await works(original.token.username, rotated.plaintext)).toBe(true);

    world.clock.advance(24 * 3600);
    expect(await works(original.token.username, original.plaintext)).toBe(false);
    expect(await works(original.token.username, rotated.plaintext)).toBe(true);
    const events = await world.db
      .selectFrom('audit_events')
      .select(['action', 'details'])
      .where('target_id', '=', String(original.token.id))
      .where('target_type', '=', 'DeployToken')
      .orderBy('id')
      .execute();
    expect(events.map((e) => e.action)).toEqual(['deploy_token.created', 'deploy_token.rotated']);
    expect(JSON.parse(events[1]!.details)).toMatchObject({ grace_seconds: 86400 });
  });

  it('never keeps more than two valid secrets: a second rotation ends the first one at once', async () => {
    world.clock.set(START);
    const first = await giveDeployToken(world, maintainer, onProject);
    const second = await rotate(first.token.id);
    const third = await rotate(first.token.id);
    const username = first.token.username;
    expect(await works(username, first.plaintext)).toBe(false);
    expect(await works(username, second.plaintext)).toBe(true);
    expect(await works(username, third.plaintext)).toBe(true);
  });

  it("follows the project's grace period, and 0 makes the old secret invalid immediately", async () => {
    world.clock.set(START);
    await upsertProjectDeploySettings(world.db, project.id, { deploy_token_grace_seconds: 0 }, START);
    const original = await giveDeployToken(world, maintainer, onProject);
    const rotated = await rotate(original.token.id);
    expect(rotated.previousValidUntil).toBeNull();
    expect(await works(original.token.username, original.plaintext)).toBe(false);
    expect(await works(original.token.username, rotated.plaintext)).toBe(true);

    await upsertProjectDeploySettings(world.db, project.id, { deploy_token_grace_seconds: 5 }, START);
    const again = await rotate(original.token.id);
    expect(again.previousValidUntil).toBe('2026-03-01T12:00:05.000Z');
    world.clock.advance(4);
    expect(await works(original.token.username, rotated.plaintext)).toBe(true);
    world.clock.advance(1);
    expect(await works(original.token.username, rotated.plaintext)).toBe(false);
  });

  it('keeps the sealed copy of gitlab-deploy-token in step with the new secret', async () => {
    world.clock.set(START);
    const original = await giveDeployToken(world, maintainer, onProject, { name: 'gitlab-deploy-token' });
    const rotated = await rotate(original.token.id);
    expect(world.deps.box.open(rotated.token.secret_sealed!, `deploy_token:${original.token.id}`)).toBe(
      rotated.plaintext,
    );
  });

  it('refuses to rotate a revoked token, and revoking ends both secrets', async () => {
    world.clock.set(START);
    await upsertProjectDeploySettings(world.db, project.id, { deploy_token_grace_seconds: 3600 }, START);
    const original = await giveDeployToken(world, maintainer, onProject);
    const rotated = await rotate(original.token.id);
    await revokeResourceDeployToken(
      world.deps,
      actorOf(maintainer),
      maintainer,
      onProject,
      original.token.id,
    );
    expect(await works(original.token.username, original.plaintext)).toBe(false);
    expect(await works(original.token.username, rotated.plaintext)).toBe(false);
    const error = await refusal(rotate(original.token.id));
    expect([error.code, error.status]).toEqual(['bad_request', 400]);
  });
});
