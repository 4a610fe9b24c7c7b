import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWorkflowClient } from '../../src/services/workflow-service/workflow-client.ts';
import type { Action } from '../../src/services/workflow-service/workflow-protos.ts';
import {
  startWorkflowService,
  type RunningWorkflowService,
} from '../../src/services/workflow-service/start-workflow-service.ts';
import { rememberSecret } from '../support/secrets.ts';
import { INSTANCE_ID, serviceLogger, startTestIssuer, type TestIssuer } from './support/test-issuer.ts';

const AUDIENCE = 'gitlab-duo-workflow-service';
const OTHER_INSTANCE = '9e0a2b4c-other-instance';
const mine = { instanceId: INSTANCE_ID, realm: 'self-managed', globalUserId: 'global-user-7' };
const theirs = { ...mine, instanceId: OTHER_INSTANCE };
const chat = (workflowId: string) => ({ workflowId, goal: 'explain the build', workflowDefinition: 'chat' });

describe('RevokeWorkflowTokens', () => {
  let issuer: TestIssuer;
  let service: RunningWorkflowService;
  let client: ReturnType<typeof createWorkflowClient>;
  const instanceToken = (instanceId = INSTANCE_ID) =>
    issuer.instanceToken({ audience: AUDIENCE, scopes: ['duo_agent_platform'], instanceId });
  const contextOf = (instanceId: string) => (instanceId === INSTANCE_ID ? mine : theirs);
  const workflowToken = async (workflowId: string, instanceId = INSTANCE_ID) =>
    rememberSecret(
      (await client.generateToken(await instanceToken(instanceId), contextOf(instanceId), 'chat', workflowId))
        .token,
    );
  const revoke = async (workflowId: string, instanceId = INSTANCE_ID) =>
    client.revokeWorkflowTokens(await instanceToken(instanceId), contextOf(instanceId), workflowId);
  const runs = async (token: string, workflowId: string, instanceId = INSTANCE_ID) =>
    (await client.executeWorkflow(token, contextOf(instanceId), chat(workflowId))).at(-1)?.finished !==
    undefined;

  beforeAll(async () => {
    issuer = await startTestIssuer();
    service = await startWorkflowService({
      port: 0,
      issuers: [{ issuer: issuer.url }],
      logger: serviceLogger('workflow-service-revocation'),
    });
    client = createWorkflowClient(service.address);
  });
  afterAll(async () => {
    client.close();
    await service.close();
    await issuer.close();
  });

  it('refuses a revoked token on a new stream with UNAUTHENTICATED', async () => {
    const token = await workflowToken('wf-10');
    expect(await runs(token, 'wf-10')).toBe(true);
    expect(await revoke('wf-10')).toBe(1);
    await expect(client.executeWorkflow(token, mine, chat('wf-10'))).rejects.toMatchObject({
      code: grpc.status.UNAUTHENTICATED,
      details: 'token revoked',
    });
    // Revoking again records nothing new.
    expect(await revoke('wf-10')).toBe(0);
  });

  it('cuts a stream that is already open when its workflow is revoked', async () => {
    const token = await workflowToken('wf-11');
    const stream = client.openExecuteWorkflow(token, mine);
    const received: Action[] = [];
    const ended = new Promise<grpc.ServiceError>((resolve, reject) => {
      stream.on('error', resolve);
      stream.on('end', () => reject(new Error('the stream ended without an error')));
    });
    const firstAction = new Promise<void>((resolve) =>
      stream.on('data', (action: Action) => {
        received.push(action);
        if (action.readFile) resolve();
      }),
    );
    stream.write({ startRequest: chat('wf-11') });
    await firstAction;
    // The client holds its answer: the run is mid-way when the instance revokes the workflow.
    expect(await revoke('wf-11')).toBe(1);
    expect(await ended).toMatchObject({ code: grpc.status.UNAUTHENTICATED, details: 'token revoked' });
    expect(received.map((action) => action.action)).toEqual(['plan', 'readFile']);
  });

  it('leaves the same workflow id of another instance alone', async () => {
    const ours = await workflowToken('wf-12');
    const other = await workflowToken('wf-12', OTHER_INSTANCE);
    expect(await revoke('wf-12', OTHER_INSTANCE)).toBe(1);
    expect(await runs(ours, 'wf-12')).toBe(true);
    await expect(client.executeWorkflow(other, theirs, chat('wf-12'))).rejects.toMatchObject({
      code: grpc.status.UNAUTHENTICATED,
    });
  });

  it("leaves the tokens of the instance's other workflows alone", async () => {
    const revoked = await workflowToken('wf-13');
    const other = await workflowToken('wf-14');
    await revoke('wf-13');
    expect(await runs(other, 'wf-14')).toBe(true);
    await expect(client.executeWorkflow(revoked, mine, chat('wf-13'))).rejects.toMatchObject({
      code: grpc.status.UNAUTHENTICATED,
    });
  });

  it('accepts a fresh token generated after the revocation (a resumed workflow)', async () => {
    const old = await workflowToken('wf-15');
    await revoke('wf-15');
    const fresh = await workflowToken('wf-15');
    expect(await runs(fresh, 'wf-15')).toBe(true);
    await expect(client.executeWorkflow(old, mine, chat('wf-15'))).rejects.toMatchObject({
      code: grpc.status.UNAUTHENTICATED,
    });
    // Ending the resumed run revokes the fresh token too.
    expect(await revoke('wf-15')).toBe(1);
    await expect(client.executeWorkflow(fresh, mine, chat('wf-15'))).rejects.toMatchObject({
      code: grpc.status.UNAUTHENTICATED,
    });
  });

  it('is authenticated like GenerateToken: a user token or no token is refused', async () => {
    const user = await workflowToken('wf-16');
    await expect(client.revokeWorkflowTokens(user, mine, 'wf-16')).rejects.toMatchObject({
      code: grpc.status.UNAUTHENTICATED,
    });
    await expect(client.revokeWorkflowTokens(undefined, mine, 'wf-16')).rejects.toMatchObject({
      code: grpc.status.UNAUTHENTICATED,
    });
    const noScope = await issuer.instanceToken({ audience: AUDIENCE, scopes: ['complete_code'] });
    await expect(client.revokeWorkflowTokens(noScope, mine, 'wf-16')).rejects.toMatchObject({
      code: grpc.status.PERMISSION_DENIED,
    });
    await expect(client.revokeWorkflowTokens(await instanceToken(), mine, '')).rejects.toMatchObject({
      code: grpc.status.INVALID_ARGUMENT,
    });
    expect(await runs(user, 'wf-16')).toBe(true);
  });
});
