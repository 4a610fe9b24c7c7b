import { SYSTEM_ACTOR } from '../audit/audit-log.ts';
import { randomSecret } from '../crypto/secrets.ts';
import { createGroup } from '../identity/group.service.ts';
import { createProject } from '../identity/project.service.ts';
import { createUser } from '../identity/user.service.ts';
import { readApplicationSetting, writeApplicationSetting } from '../store/application-settings.repository.ts';
import { findNamespaceByFullPath } from '../store/namespaces.repository.ts';
import { findProjectByFullPath } from '../store/projects.repository.ts';
import { findUserByUsername } from '../store/users.repository.ts';
import { accessTokenDeps } from '../tokens/access/access-token-deps.ts';
import { issuePersonalAccessToken } from '../tokens/access/personal-access-token.service.ts';
import { isoNow } from '../util/clock.ts';
import type { InstanceContext } from './instance-context.ts';

const ROOT = 'root';
const DEMO_GROUP = 'demo';
const DEMO_PROJECT = 'hello';
/** Application setting recording when the demo was seeded: it is seeded once per database. */
export const DEMO_SEEDED_SETTING = 'demo_seeded';
const DEMO_TOKEN_SCOPES = [
  'api',
  'read_user',
  'read_repository',
  'write_repository',
  'read_registry',
  'ai_features',
];

/**
 * Seeds the newcomer's demo once per database — an admin `root`, a group `demo`, a private project
 * `demo/hello` and an access token for root — and returns the lines to print. Generated secrets
 * appear in those lines exactly once, on the start that created them. Once seeded (recorded as the
 * `demo_seeded` application setting) a start creates nothing again, so a group or project an
 * administrator removed stays removed.
 * `TESSERA_ROOT_PASSWORD` / `TESSERA_ROOT_TOKEN` replace the generated values (for automation); a
 * given root token is added on any start that does not find it (a revoked one stays revoked).
 */
export async function seedDemo(context: InstanceContext): Promise<string[]> {
  const { db, clock, settings } = context;
  const lines: string[] = [];
  const seeded = (await readApplicationSetting(db, DEMO_SEEDED_SETTING)) !== undefined;
  let root = await findUserByUsername(db, ROOT);
  const firstStart = !root && !seeded;
  if (!root && !seeded) {
    const password = settings.rootPassword ?? randomSecret(18);
    root = await createUser(db, clock, SYSTEM_ACTOR, {
      username: ROOT,
      email: `root@${new URL(settings.externalUrl).hostname}`,
      name: 'Administrator',
      password,
      admin: true,
    });
    if (!settings.rootPassword) lines.push(`root password: ${password}   (shown once — store it now)`);
  }

  if (root && !seeded) {
    // Each step finds before it creates, so a start that failed halfway finishes the seed next time.
    const by = { user: root, ip: null };
    const group =
      (await findNamespaceByFullPath(db, DEMO_GROUP)) ??
      (await createGroup(db, clock, by, { name: 'Demo', path: DEMO_GROUP }));
    if (!(await findProjectByFullPath(db, `${DEMO_GROUP}/${DEMO_PROJECT}`))) {
      await createProject(db, clock, by, {
        name: 'Hello',
        path: DEMO_PROJECT,
        namespace: group.id,
        visibility: 'private',
      });
    }
  }

  const deps = accessTokenDeps(context);
  if (root && settings.rootToken) {
    await issuePersonalAccessToken(deps, {
      user: root,
      name: 'root token',
      scopes: DEMO_TOKEN_SCOPES,
      plaintext: settings.rootToken,
    });
  } else if (root && firstStart) {
    const { plaintext } = await issuePersonalAccessToken(deps, {
      user: root,
      name: 'demo token',
      scopes: DEMO_TOKEN_SCOPES,
    });
    lines.push(`root token:    ${plaintext}   (shown once — store it now)`);
  }
  if (!seeded) await writeApplicationSetting(db, DEMO_SEEDED_SETTING, isoNow(clock), isoNow(clock));

  const base = settings.externalUrl;
  return [
    ...lines,
    `sign in:       ${base}/users/sign_in as ${ROOT}`,
    `discovery:     ${base}/.well-known/openid-configuration`,
    `JWKS:          ${base}/oauth/discovery/keys`,
    `try:           curl -H "PRIVATE-TOKEN: <root token>" ${base}/api/v4/user`,
  ];
}
