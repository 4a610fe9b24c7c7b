import { TokenAuthority, type IssuerConfig } from '@tessera/sdk';
import type { Settings } from '../config/settings.ts';
import type { Logger } from '../observability/logger.ts';
import {
  startWorkflowService,
  type RunningWorkflowService,
} from '../services/workflow-service/start-workflow-service.ts';
import type { RoleReadiness } from './role-readiness.ts';

export const WORKFLOW_SERVICE_NAME = 'gitlab-duo-workflow-service';

/**
 * Starts the workflow service role (gRPC) on `rolePorts['workflow-service']`, trusting instance tokens
 * from the instance at `externalUrl` unless `issuers` says otherwise.
 *
 * Its TokenAuthority's key is generated at start and kept in memory only: the user tokens it signs
 * last an hour and are accepted by this service alone, so after a restart clients simply call
 * GenerateToken again. (Several replicas would need a shared key: pass one through `authority`.)
 */
export async function startWorkflowServiceRole(
  settings: Settings,
  options: { logger: Logger; issuers?: IssuerConfig[]; readiness?: RoleReadiness },
): Promise<RunningWorkflowService> {
  return startWorkflowService({
    authority: await TokenAuthority.create({
      issuer: WORKFLOW_SERVICE_NAME,
      algorithm: settings.signingAlgorithm,
    }),
    host: settings.host,
    port: settings.rolePorts['workflow-service'],
    issuers: options.issuers ?? [{ issuer: settings.externalUrl }],
    logger: options.logger.child({ role: 'workflow-service' }),
    readiness: options.readiness,
  });
}
