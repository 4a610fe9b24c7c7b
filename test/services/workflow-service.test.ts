import * as grpc from '@grpc/grpc-js';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWorkflowClient } from '../../src/services/workflow-service/workflow-client.ts';
import { workflowProtos } from '../../src/services/workflow-service/workflow-protos.ts';
import {
  startWorkflowService,
  type RunningWorkflowService,
} from '../../src/services/workflow-service/start-workflow-service.ts';
import { rememberSecret } from '../support/secrets.ts';
import { INSTANCE_ID, serviceLogger, startTestIssuer, type TestIssuer } from './support/test-issuer.ts';

const AUDIENCE = 'gitlab-duo-workflow-service';
const context = { instanceId: INSTANCE_ID, realm: 'self-managed', globalUserId: 'global-user-7' };
const start = {
  workflowId: 'wf-1',
  goal: 'fix the failing login_controller test',
  workflowDefinition: 'software_development',
};

describe('the workflow service over gRPC', () => {
  let issuer: TestIssuer;
  let service: RunningWorkflowService;
  let client: ReturnType<typeof createWorkflowClient>;
  const instanceToken = (scopes: string[]) => issuer.instanceToken({ audience: AUDIENCE, scopes });
  const userToken = async (scopes = ['duo_agent_platform', 'complete_code']) =>
    rememberSecret((await client.generateToken(await instanceToken(scopes), context)).token);

  beforeAll(async () => {
    issuer = await startTestIssuer();
    service = await startWorkflowService({
      port: 0,
      issuers: [{ issuer: issuer.url }],
      logger: serviceLogger('workflow-service'),
    });
    client = createWorkflowClient(service.address);
  });
  afterAll(async () => {
    client.close();
    await service.close();
    await issuer.close();
  });

  it('GenerateToken turns an instance token into a user token signed by the service', async () => {
    const response = await client.generateToken(
      await instanceToken(['duo_agent_platform', 'duo_workflow_execute_workflow', 'complete_code']),
      context,
      'software_development',
    );
    const claims = decodeJwt(rememberSecret(response.token));
    expect(claims).toMatchObject({
      iss: AUDIENCE,
      aud: AUDIENCE,
      sub: 'global-user-7',
      scopes: ['duo_agent_platform', 'duo_workflow_execute_workflow'],
      gitlab_instance_id: INSTANCE_ID,
      gitlab_realm: 'self-managed',
      workflow_definition: 'software_development',
    });
    expect(response.expiresAt).toBe(claims.exp);
    expect(response.expiresAt - claims.iat!).toBe(3600);
  });

  it('ExecuteWorkflow streams the plan, one action per step, then finishes', async () => {
    const answered: string[] = [];
    const actions = await client.executeWorkflow(await userToken(), context, start, {
      answer: (action) => {
        answered.push(action.requestId);
        return 'ok';
      },
    });
    const [plan, ...rest] = actions;
    expect(plan!.plan!.steps.map((step) => step.title)).toEqual([
      'Read the project README for context',
      'List the files in the repository',
      'Find where "login_controller" appears',
      'Run the test suite to reproduce',
      'Review the working tree',
      'Commit DUO_WORKFLOW_NOTES.md on duo-workflow/wf-1',
      'Comment on the workflow',
    ]);
    expect(rest[0]).toMatchObject({ requestId: 'wf-1:step-0', readFile: { step: 0, path: 'README.md' } });
    expect(rest[2]).toMatchObject({
      runCommand: { command: 'git', arguments: ['grep', '-n', '--', 'login_controller'] },
    });
    expect(rest[5]).toMatchObject({
      requestId: 'wf-1:step-5',
      commitChange: {
        step: 5,
        branch: 'duo-workflow/wf-1',
        path: 'DUO_WORKFLOW_NOTES.md',
        message: 'Duo workflow wf-1: fix the failing login_controller test',
      },
    });
    expect(rest[5]!.commitChange!.content).toContain('Key term: login_controller');
    expect(rest[6]!.addComment!.body).toContain(
      'committed DUO_WORKFLOW_NOTES.md on branch duo-workflow/wf-1',
    );
    expect(rest.at(-1)).toMatchObject({ finished: { summary: 'Completed 7 steps.' } });
    expect(answered).toHaveLength(7);
  });

  it('plans a chat as read-only steps and a comment, and refuses an unknown definition', async () => {
    const chat = { workflowId: 'wf-chat', goal: 'how is authentication tested?', workflowDefinition: 'chat' };
    const actions = await client.executeWorkflow(await userToken(), context, chat, { answer: () => 'ok' });
    expect(actions.map((action) => action.action)).toEqual([
      'plan',
      'readFile',
      'runCommand',
      'addComment',
      'finished',
    ]);
    expect(actions[3]!.addComment!.body).toContain('"authentication"');
    const unknown = { ...chat, workflowDefinition: 'delete_everything' };
    await expect(client.executeWorkflow(await userToken(), context, unknown)).rejects.toMatchObject({
      code: grpc.status.INVALID_ARGUMENT,
      details: 'unknown workflow definition "delete_everything"',
    });
  });

  it('binds a token generated for a workflow to that workflow and definition', async () => {
    const instance = await instanceToken(['duo_agent_platform']);
    const response = await client.generateToken(instance, context, 'chat', 'wf-bound');
    const bound = rememberSecret(response.token);
    expect(decodeJwt(bound)).toMatchObject({ workflow_id: 'wf-bound', workflow_definition: 'chat' });
    const chat = { workflowId: 'wf-bound', goal: 'what does this do', workflowDefinition: 'chat' };
    expect((await client.executeWorkflow(bound, context, chat)).at(-1)!.finished).toBeDefined();
    // The start request may leave the id out: the token names it.
    const actions = await client.executeWorkflow(bound, context, { ...chat, workflowId: '' });
    expect(actions[0]!.requestId).toBe('wf-bound:plan');
    await expect(
      client.executeWorkflow(bound, context, { ...chat, workflowId: 'wf-other' }),
    ).rejects.toMatchObject({
      code: grpc.status.PERMISSION_DENIED,
      details: 'the token is for another workflow',
    });
    await expect(
      client.executeWorkflow(bound, context, { ...chat, workflowDefinition: 'software_development' }),
    ).rejects.toMatchObject({ code: grpc.status.PERMISSION_DENIED });
  });

  it('ExecuteWorkflow refuses an instance token, and no token, with UNAUTHENTICATED', async () => {
    const instance = await instanceToken(['duo_agent_platform', 'duo_workflow_execute_workflow']);
    await expect(client.executeWorkflow(instance, context, start)).rejects.toMatchObject({
      code: grpc.status.UNAUTHENTICATED,
    });
    await expect(client.executeWorkflow(undefined, context, start)).rejects.toMatchObject({
      code: grpc.status.UNAUTHENTICATED,
    });
  });

  it('GenerateToken refuses no token and a user token with UNAUTHENTICATED', async () => {
    await expect(client.generateToken(undefined, context)).rejects.toMatchObject({
      code: grpc.status.UNAUTHENTICATED,
    });
    await expect(client.generateToken(await userToken(), context)).rejects.toMatchObject({
      code: grpc.status.UNAUTHENTICATED,
    });
  });

  it('answers PERMISSION_DENIED when the token lacks the method scope', async () => {
    await expect(client.generateToken(await instanceToken(['complete_code']), context)).rejects.toMatchObject(
      {
        code: grpc.status.PERMISSION_DENIED,
        details: 'the token needs one of the scopes duo_agent_platform, duo_workflow_generate_token',
      },
    );
    // A user token minted from an instance token that may only generate tokens cannot execute workflows.
    const generateOnly = await userToken(['duo_workflow_generate_token']);
    await expect(client.executeWorkflow(generateOnly, context, start)).rejects.toMatchObject({
      code: grpc.status.PERMISSION_DENIED,
    });
  });

  it('refuses metadata that contradicts the token, and GenerateToken without a user id', async () => {
    const token = await instanceToken(['duo_agent_platform']);
    await expect(client.generateToken(token, { ...context, realm: 'saas' })).rejects.toMatchObject({
      code: grpc.status.UNAUTHENTICATED,
    });
    await expect(client.generateToken(token, { ...context, globalUserId: undefined })).rejects.toMatchObject({
      code: grpc.status.INVALID_ARGUMENT,
    });
  });

  it('ends a workflow whose first event is not a start request with INVALID_ARGUMENT', async () => {
    const empty = { ...start, goal: '  ' };
    await expect(client.executeWorkflow(await userToken(), context, empty)).rejects.toMatchObject({
      code: grpc.status.INVALID_ARGUMENT,
    });
  });

  it('answers the standard health check without a token', async () => {
    const Health = workflowProtos().grpc.health.v1.Health;
    const health = new Health(
      service.address,
      grpc.credentials.createInsecure(),
    ) as unknown as grpc.Client & {
      Check(
        request: object,
        callback: (error: grpc.ServiceError | null, response?: { status: string }) => void,
      ): void;
    };
    try {
      const response = await new Promise((resolve, reject) =>
        health.Check({ service: '' }, (error, value) => (error ? reject(error) : resolve(value))),
      );
      expect(response).toEqual({ status: 'SERVING' });
    } finally {
      health.close();
    }
  });
});
