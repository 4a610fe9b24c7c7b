import type { Namespace, Project, User } from '../../src/store/schema.ts';
import { startTestInstance, type TestInstance } from '../support/instance.ts';
import * as world from '../support/world.ts';
import { createUserWithPassword } from './identity-fixtures.ts';
import { asBrowser, signInOverHttp, type BrowserSession } from './http-session.ts';

export type Json = Record<string, unknown>;

/** A running instance with an admin, two people signed in, a private and a public group with a project each. */
export interface ApiWorld {
  instance: TestInstance;
  /** `<instance>/api/v4` */
  api: string;
  root: User;
  alice: User;
  bob: User;
  asRoot: BrowserSession;
  asAlice: BrowserSession;
  asBob: BrowserSession;
  /** Private; alice owns it. */
  platform: Namespace;
  /** `platform/secret`, private. */
  secret: Project;
  /** `open/site`, public in a public group. */
  site: Project;
  get(session: BrowserSession, path: string): Promise<Response>;
  send(session: BrowserSession, method: string, path: string, json?: unknown): Promise<Response>;
}

export async function startApiWorld(name: string): Promise<ApiWorld> {
  const instance = await startTestInstance({ name });
  const api = `${instance.url}/api/v4`;
  const db = instance.context.db;
  // One after the other, so ids (and the order of listings) are root < alice < bob.
  const made = [
    await createUserWithPassword(db, { username: 'root', is_admin: 1 }),
    await createUserWithPassword(db, { username: 'alice', name: 'Alice Liddell' }),
    await createUserWithPassword(db, { username: 'bob' }),
  ];
  const [root, alice, bob] = made.map((m) => m.user) as [User, User, User];
  const [asRoot, asAlice, asBob] = (await Promise.all(
    made.map((m) => signInOverHttp(instance.url, m.user.username, m.password)),
  )) as [BrowserSession, BrowserSession, BrowserSession];
  const platform = await world.createGroup(db, { path: 'platform' });
  await world.addMember(db, platform, alice, 50);
  const secret = await world.createProject(db, platform, { path: 'secret' });
  const openGroup = await world.createGroup(db, { path: 'open', visibility: 'public' });
  const site = await world.createProject(db, openGroup, { path: 'site', visibility: 'public' });
  return {
    instance,
    api,
    root,
    alice,
    bob,
    asRoot,
    asAlice,
    asBob,
    platform,
    secret,
    site,
    get: (session, path) => asBrowser(session, `${api}${path}`),
    send: (session, method, path, json) => asBrowser(session, `${api}${path}`, { method, json }),
  };
}
