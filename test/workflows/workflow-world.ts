import { loadSettings } from '../../src/config/settings.ts';
import { ACCESS_LEVELS } from '../../src/identity/access-levels.ts';
import { startWorkflowServiceRole } from '../../src/runtime/start-workflow-service.ts';
import type { RunningWorkflowService } from '../../src/services/workflow-service/start-workflow-service.ts';
import { createWorkflowClient } from '../../src/services/workflow-service/workflow-client.ts';
import type { Project, User } from '../../src/store/schema.ts';
import type { Clock } from '../../src/util/clock.ts';
import { duoWorkflowIdentity } from '../../src/workflows/duo-identity.ts';
import { CI_TEST_ENV, personWithPat, pushFiles, type CiActor } from '../ci/ci-world.ts';
import { startTestAuthority, type TestAuthority } from '../cloud/support/cloud-world.ts';
import { request, type Answer } from '../cloud/support/http.ts';
import { serviceLogger } from '../services/support/test-issuer.ts';
import { workflowServiceStore } from '../services/support/workflow-service-store.ts';
import { freePort, startTestInstance, type TestInstance } from '../support/instance.ts';
import { rememberSecret } from '../support/secrets.ts';
import * as world from '../support/world.ts';

/*
 * The world a workflow test needs, every part real and on its own loopback port: a license authority,
 * the workflow service trusting it, and an instance activated with a duo_enterprise license, whose
 * project has a README pushed with real git and the Duo service account as a Developer.
 */

export const README = '# Demo\n\nA small project the Duo workflow reads.\n';

export interface WorkflowWorld {
  authority: TestAuthority;
  instance: TestInstance;
  /** `host:port` of the workflow service. */
  serviceAddress: string;
  admin: CiActor;
  /** A Developer of `project` with a duo_enterprise seat. */
  alice: CiActor;
  project: Project;
  serviceAccount: User;
  /** A JSON request to the instance's API (`/api/v4` prefixed); `token` is PRIVATE-TOKEN, `bearer` Authorization. */
  api(
    method: string,
    path: string,
    options?: { token?: string; bearer?: string; body?: unknown; headers?: Record<string, string> },
  ): Promise<Answer>;
  /** A person with a PAT, a seat (unless `seat: false`) and `level` on the project (none when absent). */
  person(options?: { level?: number; seat?: boolean }): Promise<CiActor>;
  stopService(): Promise<void>;
  startService(): Promise<void>;
  stop(): Promise<void>;
}

export async function startWorkflowWorld(
  name: string,
  options: { clock?: Clock; env?: Record<string, string> } = {},
): Promise<WorkflowWorld> {
  const authority = await startTestAuthority();
  const servicePort = await freePort();
  // Its keys and revocations outlive a restart of the service (stopService, startService).
  const serviceStore = await workflowServiceStore();
  const serviceSettings = loadSettings({
    ...serviceStore.env,
    TESSERA_WORKFLOW_SERVICE_PORT: String(servicePort),
  });
  const startService = () =>
    startWorkflowServiceRole(serviceSettings, {
      logger: serviceLogger(`${name}-workflow-service`),
      issuers: [{ issuer: authority.url }],
    });
  let service: RunningWorkflowService | undefined = await startService();
  const instance = await startTestInstance({
    name,
    ...(options.clock ? { clock: options.clock } : {}),
    env: {
      ...CI_TEST_ENV,
      TESSERA_LICENSE_AUTHORITY_URL: authority.url,
      TESSERA_CLOUD_CONNECTOR_RETRY_BASE: '1',
      TESSERA_WORKFLOW_SERVICE_URL: `http://127.0.0.1:${servicePort}`,
      ...options.env,
    },
  });
  const api: WorkflowWorld['api'] = (method, path, requestOptions = {}) =>
    request(method, `${instance.url}/api/v4${path}`, requestOptions);

  const admin = await personWithPat(instance, { is_admin: 1 });
  const license = await authority.createLicense([{ name: 'duo_enterprise', seats: 20 }]);
  const activated = await api('POST', '/admin/cloud_connector/activate', {
    token: admin.pat,
    body: { activation_code: license.code },
  });
  if (activated.status !== 201) throw new Error(`activation failed: ${JSON.stringify(activated.body)}`);

  const group = await world.createGroup(instance.context.db);
  const project = await world.createProject(instance.context.db, group, { path: 'demo' });
  await world.addMember(instance.context.db, project, admin.user, ACCESS_LEVELS.maintainer);
  await pushFiles(instance, project, admin, { 'README.md': README });
  const { serviceAccount } = await duoWorkflowIdentity(instance.context);
  await world.addMember(instance.context.db, project, serviceAccount, ACCESS_LEVELS.developer);

  const person: WorkflowWorld['person'] = async ({ level, seat = true } = {}) => {
    const actor = await personWithPat(instance);
    if (level !== undefined) await world.addMember(instance.context.db, project, actor.user, level);
    if (seat) {
      const seated = await api('POST', `/admin/add_ons/duo_enterprise/seats/${actor.user.id}`, {
        token: admin.pat,
      });
      if (seated.status !== 201) throw new Error(`seat not assigned: ${JSON.stringify(seated.body)}`);
    }
    return actor;
  };
  const alice = await person({ level: ACCESS_LEVELS.developer });

  return {
    authority,
    instance,
    serviceAddress: `127.0.0.1:${servicePort}`,
    admin,
    alice,
    project,
    serviceAccount,
    api,
    person,
    async stopService() {
      await service?.close();
      service = undefined;
    },
    async startService() {
      service ??= await startService();
    },
    async stop() {
      await instance.stop();
      await service?.close();
      await serviceStore.drop();
      await authority.stop();
    },
  };
}

/** The tokens a workflow's job receives, read the way the runner gets them (remembered as secrets). */
export function tokensOf(variables: Array<{ key: string; value: string }>) {
  const value = (key: string) => {
    const found = variables.find((v) => v.key === key)?.value;
    if (!found) throw new Error(`no ${key} among the job's variables`);
    return found;
  };
  return {
    oauth: rememberSecret(value('GITLAB_OAUTH_TOKEN')),
    service: rememberSecret(value('DUO_WORKFLOW_SERVICE_TOKEN')),
  };
}

/**
 * Opens ExecuteWorkflow with a workflow-service token and answers every action with "ok": resolves
 * with `finished` when the stream ran to its end, or the gRPC status code it was refused with.
 */
export async function executeWith(
  address: string,
  token: string,
  headers: { instanceId: string; realm: string; globalUserId: string },
  start: { workflowId: string; goal: string; workflowDefinition: string },
): Promise<'finished' | number> {
  const client = createWorkflowClient(address);
  try {
    await client.executeWorkflow(token, headers, start, { answer: () => 'ok' });
    return 'finished';
  } catch (error) {
    return (error as { code?: number }).code ?? -1;
  } finally {
    client.close();
  }
}
