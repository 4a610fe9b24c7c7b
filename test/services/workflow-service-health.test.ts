import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RoleReadiness } from '../../src/runtime/role-readiness.ts';
import {
  startWorkflowService,
  type RunningWorkflowService,
} from '../../src/services/workflow-service/start-workflow-service.ts';
import { createHealthClient } from './support/health-client.ts';
import { serviceLogger, startTestIssuer, type TestIssuer } from './support/test-issuer.ts';

const SERVICE = 'tessera.workflow.v1.WorkflowService';

/** Polls until `condition` holds: stream messages arrive asynchronously (no timed assertion). */
async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 10));
}

describe('the workflow service’s standard gRPC health service (grpc.health.v1)', () => {
  const readiness = new RoleReadiness();
  let issuer: TestIssuer;
  let service: RunningWorkflowService;
  let health: ReturnType<typeof createHealthClient>;

  beforeAll(async () => {
    issuer = await startTestIssuer();
    service = await startWorkflowService({
      port: 0,
      issuers: [{ issuer: issuer.url }],
      logger: serviceLogger('workflow-service-health'),
      readiness,
    });
    health = createHealthClient(service.address);
  });
  afterAll(async () => {
    health.close();
    await service.close();
    await issuer.close();
  });

  it('answers NOT_SERVING while starting, without a token, for the server and the workflow service', async () => {
    expect(await health.check('')).toEqual({ status: 'NOT_SERVING' });
    expect(await health.check(SERVICE)).toEqual({ status: 'NOT_SERVING' });
  });

  it('fails Check of an unknown service with NOT_FOUND', async () => {
    await expect(health.check('no.such.Service')).rejects.toMatchObject({ code: grpc.status.NOT_FOUND });
  });

  it('Watch streams NOT_SERVING, then SERVING once ready, then NOT_SERVING while draining; close ends it', async () => {
    const watch = health.watch(SERVICE);
    const unknown = health.watch('no.such.Service');
    await until(() => watch.statuses.length === 1 && unknown.statuses.length === 1);
    expect(unknown.statuses).toEqual(['SERVICE_UNKNOWN']);

    readiness.markReady();
    await until(() => watch.statuses.length === 2);
    expect(await health.check('')).toEqual({ status: 'SERVING' });
    expect(await health.check(SERVICE)).toEqual({ status: 'SERVING' });

    readiness.markDraining();
    await until(() => watch.statuses.length === 3);
    expect(watch.statuses).toEqual(['NOT_SERVING', 'SERVING', 'NOT_SERVING']);
    expect(await health.check('')).toEqual({ status: 'NOT_SERVING' });

    // Open streams must not hold the server's graceful shutdown: close ends them with OK.
    await service.close();
    expect((await watch.ended).code).toBe(grpc.status.OK);
    expect((await unknown.ended).code).toBe(grpc.status.OK);
  });
});

describe('a workflow service started without a readiness of the caller’s', () => {
  it('is SERVING once bound', async () => {
    const issuer = await startTestIssuer();
    const service = await startWorkflowService({
      port: 0,
      issuers: [{ issuer: issuer.url }],
      logger: serviceLogger('workflow-service-health-default'),
    });
    const health = createHealthClient(service.address);
    try {
      expect(await health.check('')).toEqual({ status: 'SERVING' });
    } finally {
      health.close();
      await service.close();
      await issuer.close();
    }
  });
});
