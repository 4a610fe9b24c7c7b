import { Command } from 'commander';
import pino from 'pino';
import { loadSettings } from '../config/settings.ts';
import { createLogger, type Logger } from '../observability/logger.ts';
import { aiTrustedIssuers } from '../runtime/ai-trusted-issuers.ts';
import { RoleReadiness } from '../runtime/role-readiness.ts';
import { seedCloudDemo } from '../runtime/seed-cloud-demo.ts';
import { startAiGateway } from '../runtime/start-ai-gateway.ts';
import { startLicenseAuthority, type RunningLicenseAuthority } from '../runtime/start-license-authority.ts';
import { startInstance } from '../runtime/start-instance.ts';
import { startWorkflowServiceRole } from '../runtime/start-workflow-service.ts';
import { seedDemo } from '../runtime/seed-demo.ts';

const SERVABLE = ['instance', 'license-authority', 'ai-gateway', 'workflow-service', 'all'] as const;
type Servable = (typeof SERVABLE)[number];

/**
 * `tessera serve <role>`: runs one role, or every role (`all`, what `npm start` runs) with a seeded
 * demo. Every role listens as soon as it is started but answers 503 (probes apart) until the whole
 * process is ready, so the first 200 anyone gets means everything works: the license authority
 * first (the instance's activation calls it, so it serves at once), then the instance, the demo
 * seed, the AI gateway and the workflow service; then all are marked ready and the banner printed.
 *
 * SIGTERM (or SIGINT) drains: readiness fails at once (gRPC health NOT_SERVING), the roles keep
 * serving for `TESSERA_DRAIN_DELAY_SECONDS` while a load balancer takes them out, then they close,
 * letting in-flight requests finish, and the process exits 0.
 */
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
      const readiness = new RoleReadiness();
      const drainable = [readiness];
      let draining = false;
      const shutdown = async (signal: string) => {
        if (draining) return;
        draining = true;
        for (const each of drainable) each.markDraining();
        logger.info({ signal, drainDelaySeconds: settings.drainDelaySeconds }, 'draining');
        await new Promise((resolve) => setTimeout(resolve, settings.drainDelaySeconds * 1000));
        let failed = false;
        for (const close of closers.reverse()) {
          await close().catch((error: unknown) => {
            failed = true;
            logger.error({ err: error }, 'a role did not close cleanly');
          });
        }
        logger.info('stopped');
        process.exit(failed ? 1 : 0);
      };
      let authority: RunningLicenseAuthority | undefined;
      if (runs('license-authority')) {
        // Before the instance, whose first sync calls it. In `all` it opens the same database.
        authority = await startLicenseAuthority(settings, { logger });
        drainable.push(authority.readiness);
        closers.push(() => authority!.close());
        lines.push(`license-authority listening on ${authority.url} (issuer ${authority.deps.issuer})`);
        if (authority.generatedAdminToken) {
          lines.push(
            `license authority admin token: ${authority.generatedAdminToken}   (shown once — store it now)`,
          );
        }
      }
      if (runs('instance')) {
        const instance = await startInstance(settings, { logger, readiness });
        closers.push(() => instance.close());
        lines.push(`instance listening on ${instance.url} (external URL ${settings.externalUrl})`);
        if (role === 'all') {
          lines.push(...(await seedWithoutFailing('demo', logger, () => seedDemo(instance.context))));
        }
        if (role === 'all' && authority) {
          const deps = authority.deps;
          lines.push(
            ...(await seedWithoutFailing('AI demo', logger, () => seedCloudDemo(instance.context, deps))),
          );
        }
      }
      if (runs('ai-gateway')) {
        const issuers = aiTrustedIssuers(settings, { withLicenseAuthority: role === 'all' });
        const gateway = await startAiGateway(settings, { logger, issuers, readiness });
        closers.push(() => gateway.close());
        lines.push(`ai-gateway listening on ${gateway.url}`);
      }
      if (runs('workflow-service')) {
        const issuers = aiTrustedIssuers(settings, { withLicenseAuthority: role === 'all' });
        const workflow = await startWorkflowServiceRole(settings, { logger, issuers, readiness });
        closers.push(() => workflow.close());
        lines.push(`workflow-service (gRPC) listening on ${workflow.address}`);
      }
      readiness.markReady();
      process.stdout.write(`\n${lines.join('\n')}\n\nTessera is ready.\n`);

      // Only now: a signal during start-up ends the process at once (a start that hangs, e.g. on an
      // unreachable store, must stay stoppable), since nothing has been announced yet.
      process.on('SIGINT', () => void shutdown('SIGINT'));
      process.on('SIGTERM', () => void shutdown('SIGTERM'));
    });
}

/**
 * Runs a demo seed; a failure is logged and printed, never a failed start: the demo is a
 * convenience, and an administrator's later changes (a revoked license, a removed seat) must not
 * keep the server from starting.
 */
async function seedWithoutFailing(
  name: string,
  logger: Logger,
  seed: () => Promise<string[]>,
): Promise<string[]> {
  try {
    return await seed();
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    logger.warn({ err: error }, `the ${name} seed failed; starting without it`);
    return [`${name}: not seeded (${reason})`];
  }
}
