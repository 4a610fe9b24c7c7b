import type { FastifyInstance } from 'fastify';
import { TokenAuthority, type IssuerConfig } from '@tessera/sdk';
import type { Settings } from '../config/settings.ts';
import type { Logger } from '../observability/logger.ts';
import { buildAiGateway } from '../services/ai-gateway/build-ai-gateway.ts';
import type { ModelProvider } from '../services/ai-gateway/model-provider.ts';
import { RoleReadiness } from './role-readiness.ts';

export const AI_GATEWAY_SERVICE_NAME = 'gitlab-ai-gateway';

export interface RunningAiGateway {
  app: FastifyInstance;
  /** Where the gateway listens (the real port even when 0 was asked for): a direct_access `base_url`. */
  url: string;
  authority: TokenAuthority;
  readiness: RoleReadiness;
  close(): Promise<void>;
}

/**
 * Starts the AI gateway role on `rolePorts['ai-gateway']`. It trusts the instance at `externalUrl`
 * unless `issuers` says otherwise (add the license authority and SaaS instance there), and lets the
 * instance's own origin call it from a browser.
 *
 * The gateway's signing key is generated at start and kept in memory only: it signs nothing but the
 * gateway's one-hour user tokens, which only the gateway itself accepts, so a restart merely makes
 * clients fetch a new one — nothing to persist, rotate or leak from disk.
 */
export async function startAiGateway(
  settings: Settings,
  options: {
    logger: Logger;
    issuers?: IssuerConfig[];
    allowedOrigins?: string[];
    provider?: ModelProvider;
    /** The caller's, to mark ready when the process is; default: ready once listening. */
    readiness?: RoleReadiness;
  },
): Promise<RunningAiGateway> {
  const logger = options.logger.child({ role: 'ai-gateway' });
  const authority = await TokenAuthority.create({
    issuer: AI_GATEWAY_SERVICE_NAME,
    algorithm: settings.signingAlgorithm,
  });
  const readiness = options.readiness ?? new RoleReadiness();
  const app = await buildAiGateway({
    readiness,
    issuers: options.issuers ?? [{ issuer: settings.externalUrl }],
    authority,
    provider: options.provider,
    allowedOrigins: options.allowedOrigins ?? [new URL(settings.externalUrl).origin],
    logger,
    verifier: {
      onKeyFetchError: (error, issuer) => logger.warn({ issuer, err: error }, 'cannot fetch issuer keys'),
    },
  });
  await app.listen({ host: settings.host, port: settings.rolePorts['ai-gateway'] });
  if (!options.readiness) readiness.markReady();
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : settings.rolePorts['ai-gateway'];
  const host = settings.host.includes(':') ? `[${settings.host}]` : settings.host;
  return { app, url: `http://${host}:${port}`, authority, readiness, close: () => app.close() };
}
