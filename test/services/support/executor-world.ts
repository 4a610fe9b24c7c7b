import type { Project } from '../../../src/store/schema.ts';
import { CI_TEST_ENV, call, personWithPat, projectOf, pushFiles, registerRunner } from '../../ci/ci-world.ts';
import type { CiActor } from '../../ci/ci-world.ts';
import {
  approveInBrowser,
  CALLBACK,
  oauthPost,
  pkcePair,
  startOAuthWorld,
} from '../../oauth/oauth-fixtures.ts';
import type { OAuthWorld } from '../../oauth/oauth-fixtures.ts';
import type { TestInstance } from '../../support/instance.ts';
import { rememberSecret } from '../../support/secrets.ts';
import { depsOf, givePat } from '../../tokens/token-fixtures.ts';

/** The files every executor test project starts with. */
export const PROJECT_FILES = {
  'README.md': '# Widgets\n\nThe widget service. Run the tests with `npm test`.\n',
  'src/login_controller.ts': 'export const login_controller = () => "ok";\n',
  '.gitlab-ci.yml': 'workflow-job:\n  script: [echo waiting]\n',
};

/**
 * A real instance (with signed-in people, so OAuth consent works over HTTP) and a project of
 * alice's holding {@link PROJECT_FILES}, pushed with real git.
 */
export interface ExecutorWorld {
  oauth: OAuthWorld;
  instance: TestInstance;
  /** alice with a PAT, maintainer of `project`. */
  alice: CiActor;
  project: Project;
  /** A work tree holding what was pushed. */
  workTree: string;
  /** alice's OAuth access token from authorization code + PKCE (remembered as a secret). */
  aliceOAuthToken(scope?: string): Promise<string>;
  /** The token of a job of the project that a runner has taken (it stays running): what CI hands a job. */
  runningJobToken(): Promise<string>;
  stop(): Promise<void>;
}

export async function startExecutorWorld(name: string): Promise<ExecutorWorld> {
  const oauth = await startOAuthWorld(name, { env: CI_TEST_ENV });
  const { instance } = oauth;
  const alicePat = (
    await givePat(depsOf(instance), oauth.alice, ['api', 'read_repository', 'write_repository'])
  ).plaintext;
  const alice = { user: oauth.alice, pat: rememberSecret(alicePat) };
  const project = await projectOf(instance, alice.user, { path: 'widgets' });
  const { workTree } = await pushFiles(instance, project, alice, PROJECT_FILES);
  const app = await oauth.createApp({ name: 'IDE', scopes: ['api', 'read_user'] });
  let runnerToken: string | undefined;

  return {
    oauth,
    instance,
    alice,
    project,
    workTree,
    async aliceOAuthToken(scope = 'api') {
      const { verifier, challenge } = pkcePair();
      const callback = await approveInBrowser(instance, oauth.asAlice, {
        client_id: app.clientId,
        redirect_uri: CALLBACK,
        response_type: 'code',
        scope,
        state: 'executor',
        code_challenge: challenge,
        code_challenge_method: 'S256',
      });
      const token = await oauthPost(
        instance,
        '/oauth/token',
        {
          grant_type: 'authorization_code',
          code: callback.searchParams.get('code')!,
          redirect_uri: CALLBACK,
          code_verifier: verifier,
        },
        { clientId: app.clientId, secret: app.secret },
      );
      if (token.status !== 200) throw new Error(`no OAuth token: ${JSON.stringify(token.body)}`);
      return token.body.access_token as string;
    },
    async runningJobToken() {
      if (runnerToken === undefined) {
        const admin = await personWithPat(instance, { is_admin: 1 });
        runnerToken = (await registerRunner(instance, rememberSecret(admin.pat))).token;
      }
      const taken = await call(instance, 'POST', '/api/v4/jobs/request', { body: { token: runnerToken } });
      if (taken.status !== 201) throw new Error(`no job to take: ${taken.status}`);
      return rememberSecret(taken.body.token as string);
    },
    stop: () => instance.stop(),
  };
}
