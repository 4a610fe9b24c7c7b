import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { workflowClientCommand, runWorkflowClient } from '../../src/cli/workflow-client.command.ts';
import { loadSettings, type Settings } from '../../src/config/settings.ts';
import { startAiGateway, type RunningAiGateway } from '../../src/runtime/start-ai-gateway.ts';
import { startWorkflowServiceRole } from '../../src/runtime/start-workflow-service.ts';
import type { RunningWorkflowService } from '../../src/services/workflow-service/start-workflow-service.ts';
import { INSTANCE_ID, serviceLogger, startTestIssuer, type TestIssuer } from './support/test-issuer.ts';
import { workflowServiceStore } from './support/workflow-service-store.ts';

describe('the ai-gateway and workflow-service roles started from Settings', () => {
  let issuer: TestIssuer;
  let settings: Settings;
  let gateway: RunningAiGateway;
  let workflow: RunningWorkflowService;
  let store: Awaited<ReturnType<typeof workflowServiceStore>>;

  beforeAll(async () => {
    issuer = await startTestIssuer();
    store = await workflowServiceStore();
    // The issuer stands in for the instance: its URL is the external URL the roles trust by default.
    settings = loadSettings({
      TESSERA_EXTERNAL_URL: issuer.url,
      TESSERA_AI_GATEWAY_PORT: '0',
      TESSERA_WORKFLOW_SERVICE_PORT: '0',
      TESSERA_SIGNING_ALGORITHM: 'ES256',
      ...store.env,
    });
    gateway = await startAiGateway(settings, { logger: serviceLogger('ai-gateway-role') });
    workflow = await startWorkflowServiceRole(settings, { logger: serviceLogger('workflow-service-role') });
  });
  afterAll(async () => {
    await gateway.close();
    await workflow.close();
    await store.drop();
    await issuer.close();
  });

  it('the gateway trusts the instance at externalUrl and signs its own tokens with the configured algorithm', async () => {
    const token = await issuer.instanceToken({ audience: 'gitlab-ai-gateway', scopes: ['complete_code'] });
    const response = await fetch(`${gateway.url}/v2/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', origin: issuer.url },
      body: JSON.stringify({ current_file: { file_name: 'a.ts', content_above_cursor: 'const a = ' } }),
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('access-control-allow-origin')).toBe(issuer.url);
    expect(gateway.authority.jwks().keys[0]).toMatchObject({ kty: 'EC', alg: 'ES256' });
  });

  it('runWorkflowClient performs GenerateToken then ExecuteWorkflow against the role', async () => {
    const instanceToken = await issuer.instanceToken({
      audience: 'gitlab-duo-workflow-service',
      scopes: ['duo_agent_platform'],
    });
    const result = await runWorkflowClient({
      server: workflow.address,
      instanceToken,
      goal: 'Explain the release checklist',
      workflowDefinition: 'chat',
      userId: 'cli-user',
      instanceId: INSTANCE_ID,
      realm: 'self-managed',
    });
    expect(result.userTokenExpiresAt).toBeGreaterThan(Date.now() / 1000);
    // A chat only reads and answers: no search, no commit.
    expect(result.plan).toEqual([
      'Read the project README for context',
      'List the files in the repository',
      'Answer on the workflow',
    ]);
    expect(result.actions[0]).toMatchObject({ kind: 'read_file', detail: 'README.md' });
    expect(result.summary).toBe('Completed 3 steps.');
  });

  it('`tessera workflow-client --json` reads the token from the environment and prints no token', async () => {
    const instanceToken = await issuer.instanceToken({
      audience: 'gitlab-duo-workflow-service',
      scopes: ['duo_agent_platform'],
    });
    vi.stubEnv('DUO_WORKFLOW_CLIENT_TOKEN', instanceToken);
    const printed: string[] = [];
    const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
      printed.push(String(chunk));
      return true;
    });
    try {
      await workflowClientCommand().parseAsync(
        ['--server', workflow.address, '--goal', 'Fix the flaky test', '--json'],
        { from: 'user' },
      );
    } finally {
      write.mockRestore();
      vi.unstubAllEnvs();
    }
    const output = printed.join('');
    expect(JSON.parse(output)).toMatchObject({ summary: 'Completed 7 steps.' });
    expect(output).not.toContain(instanceToken.slice(0, 40));
    expect(output).not.toMatch(/eyJ/);
  });
});
