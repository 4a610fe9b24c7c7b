import { Command } from 'commander';
import pino from 'pino';
import { loadSettings } from '../config/settings.ts';
import { createLogger } from '../observability/logger.ts';
import { aiTrustedIssuers } from '../runtime/ai-trusted-issuers.ts';
import { seedCloudDemo } from '../runtime/seed-cloud-demo.ts';
import { startAiGateway } from '../runtime/start-ai-gateway.ts';
import { startLicenseAuthority, type RunningLicenseAuthority } from '../runtime/start-license-authority.ts';
import { startInstance } from '../runtime/start-instance.ts';
import { startWorkflowServiceRole } from '../runtime/start-workflow-service.ts';
import { seedDemo } from '../runtime/seed-demo.ts';

const SERVABLE = ['instance', 'license-authority', 'ai-gateway', 'workflow-service', 'all'] as const;
type Servable = (typeof SERVABLE)[number];

/** `tessera serve <role>`: runs one role, or every role (`all`, what `npm start` runs) with a seeded demo. */
export function serveCommand(): Command {
  return new Command('serve')
    .description(`run a role: ${SERVABLE.join(' | ')}`)
    .argument('<role>', `one of ${SERVABLE.join(', ')}`)
    .action(async (role: string) => {
      if (!(SERVABLE as readonly string[]).includes(role)) {
        throw new Error(`unknown role "${role}"; expected one of ${SERVABLE.join(', ')}`);
      }
      const runs = (candidate: Servable) => role === candidate || role === 'all';
      const settings = loadSettings();
      // Logs go to stderr; stdout carries only what the operator must read (URLs, one-time seed secrets).
      const logger = createLogger({ level: settings.logLevel, destination: pino.destination(2) });
      const closers: Array<() => Promise<void>> = [];
      const lines: string[] = [];
      let authority: RunningLicenseAuthority | undefined;
      if (runs('license-authority')) {
        // Before the instance, whose first sync calls it. In `all` it opens the same database.
        authority = await startLicenseAuthority(settings, { logger });
        closers.push(() => authority!.close());
        lines.push(`license-authority listening on ${authority.url} (issuer ${authority.deps.issuer})`);
        if (authority.generatedAdminToken) {
          lines.push(
            `license authority admin token: ${authority.generatedAdminToken}   (shown once — store it now)`,
          );
        }
      }
      if (runs('instance')) {
        const instance = await startInstance(settings, { logger });
        closers.push(() => instance.close());
        lines.push(`instance listening on ${instance.url} (external URL ${settings.externalUrl})`);
        if (role === 'all') lines.push(...(await seedDemo(instance.context)));
        if (role === 'all' && authority)
          lines.push(...(await seedCloudDemo(instance.context, authority.deps)));
      }
      if (runs('ai-gateway')) {
        const issuers = aiTrustedIssuers(settings, { withLicenseAuthority: role === 'all' });
        const gateway = await startAiGateway(settings, { logger, issuers });
        closers.push(() => gateway.close());
        lines.push(`ai-gateway listening on ${gateway.url}`);
      }
      if (runs('workflow-service')) {
        const issuers = aiTrustedIssuers(settings, { withLicenseAuthority: role === 'all' });
        const workflow = await startWorkflowServiceRole(settings, { logger, issuers });
        closers.push(() => workflow.close());
        lines.push(`workflow-service (gRPC) listening on ${workflow.address}`);
      }
      process.stdout.write(`\n${lines.join('\n')}\n\nTessera is ready.\n`);

      const shutdown = async (signal: string) => {
        logger.info({ signal }, 'shutting down');
        for (const close of closers.reverse()) await close();
        process.exit(0);
      };
      process.once('SIGINT', () => void shutdown('SIGINT'));
      process.once('SIGTERM', () => void shutdown('SIGTERM'));
    });
}
