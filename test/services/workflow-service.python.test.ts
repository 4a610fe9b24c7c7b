import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROTO_DIR } from '../../src/services/workflow-service/workflow-protos.ts';
import {
  startWorkflowService,
  type RunningWorkflowService,
} from '../../src/services/workflow-service/start-workflow-service.ts';
import { INSTANCE_ID, serviceLogger, startTestIssuer, type TestIssuer } from './support/test-issuer.ts';

// Debian's interpreter: the one that sees python3-grpcio (see PEERS.md); async so the server in this
// process keeps serving while Python runs.
const PYTHON = '/usr/bin/python3';
const run = promisify(execFile);
const CLIENT = fileURLToPath(new URL('./support/workflow_peer_client.py', import.meta.url));
const HEALTH_PROBE = fileURLToPath(new URL('./support/health_peer_client.py', import.meta.url));

describe('a Python gRPC client (python3-grpcio, stubs from our .proto)', () => {
  let issuer: TestIssuer;
  let service: RunningWorkflowService;
  let stubsDir: string;

  beforeAll(async () => {
    issuer = await startTestIssuer();
    service = await startWorkflowService({
      port: 0,
      issuers: [{ issuer: issuer.url }],
      logger: serviceLogger('workflow-service-py'),
    });
    stubsDir = mkdtempSync(join(tmpdir(), 'tessera-grpc-stubs-'));
    await run(PYTHON, [
      '-m',
      'grpc_tools.protoc',
      '-I',
      PROTO_DIR,
      `--python_out=${stubsDir}`,
      `--grpc_python_out=${stubsDir}`,
      'workflow_service.proto',
    ]);
    // The health stubs go to the top of the stubs directory (see health_peer_client.py).
    await run(PYTHON, [
      '-m',
      'grpc_tools.protoc',
      '-I',
      join(PROTO_DIR, 'grpc/health/v1'),
      `--python_out=${stubsDir}`,
      `--grpc_python_out=${stubsDir}`,
      'health.proto',
    ]);
  });
  afterAll(async () => {
    await service.close();
    await issuer.close();
    rmSync(stubsDir, { recursive: true, force: true });
  });

  it('performs GenerateToken then ExecuteWorkflow, and sees UNAUTHENTICATED where it should', async () => {
    const instanceToken = await issuer.instanceToken({
      audience: 'gitlab-duo-workflow-service',
      scopes: ['duo_agent_platform', 'duo_workflow_generate_token'],
    });
    const { stdout } = await run(PYTHON, [CLIENT], {
      env: {
        PATH: process.env.PATH,
        STUBS_DIR: stubsDir,
        WORKFLOW_SERVICE_ADDRESS: service.address,
        INSTANCE_TOKEN: instanceToken,
        INSTANCE_ID,
      },
    });
    const result = JSON.parse(stdout) as {
      expires_at: number;
      token_parts: number;
      actions: { request_id: string; kind: string }[];
      execute_with_instance_token: string;
      generate_without_token: string;
    };
    expect(result.token_parts).toBe(3);
    expect(result.expires_at).toBeGreaterThan(Date.now() / 1000);
    expect(result.actions.map((action) => action.kind)).toEqual([
      'plan',
      'read_file',
      'run_command',
      'run_command',
      'run_command',
      'commit_change',
      'add_comment',
      'finished',
    ]);
    expect(result.actions[1]!.request_id).toBe('py-1:step-0');
    expect(result.execute_with_instance_token).toBe('UNAUTHENTICATED');
    expect(result.generate_without_token).toBe('UNAUTHENTICATED');
  });

  it('probes the standard health service: SERVING, NOT_FOUND for an unknown service, Watch', async () => {
    const { stdout } = await run(PYTHON, [HEALTH_PROBE], {
      env: { PATH: process.env.PATH, STUBS_DIR: stubsDir, WORKFLOW_SERVICE_ADDRESS: service.address },
    });
    expect(JSON.parse(stdout)).toEqual({
      server: 'SERVING',
      service: 'SERVING',
      unknown: 'NOT_FOUND',
      watch_first: 'SERVING',
    });
  });
});
