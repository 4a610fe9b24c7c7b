import { Command } from 'commander';
import pino from 'pino';
import type { LicenseAuthorityDeps } from '../cloud/license-authority/license-authority-deps.ts';
import { createLicense, listLicenses, revokeLicense } from '../cloud/license-authority/license.service.ts';
import type { LicenseView } from '../cloud/license-authority/license-state.ts';
import { loadSettings } from '../config/settings.ts';
import { createLogger } from '../observability/logger.ts';
import { openLicenseAuthority } from '../runtime/start-license-authority.ts';
import { cliActor, output, table } from './cli-context.ts';

interface CreateOptions {
  licensee: string;
  email?: string;
  plan: string;
  addOn: string[];
  startsAt?: string;
  expiresAt?: string;
  json?: boolean;
}

/**
 * `tessera licenses create|list|revoke`: the license authority's admin, on the authority's machine
 * (its store: `TESSERA_DATABASE_URL`). The activation code is printed once.
 */
export function licensesCommand(): Command {
  const licenses = new Command('licenses').description('license authority: create, list and revoke licenses');

  licenses
    .command('create')
    .description('create a license and print its activation code once')
    .requiredOption('--licensee <name>', 'who the license is for')
    .option('--email <email>', 'contact address')
    .option('--plan <plan>', 'plan name', 'ultimate')
    .requiredOption(
      '--add-on <name:seats>',
      'an add-on and its seats, e.g. duo_enterprise:25 (repeatable)',
      collect,
      [],
    )
    .option('--starts-at <date>', 'ISO date (default now)')
    .option('--expires-at <date>', 'ISO date (default one year after the start)')
    .option('--json', 'print JSON')
    .action((options: CreateOptions) =>
      withAuthority(async (deps) => {
        const { license, activationCode } = await createLicense(deps, cliActor(), {
          licensee: options.licensee,
          email: options.email,
          plan: options.plan,
          addOns: options.addOn,
          startsAt: options.startsAt,
          expiresAt: options.expiresAt,
        });
        output(options.json, { ...license, activation_code: activationCode }, () =>
          [
            `created license ${license.id} for ${license.licensee}`,
            `activation code: ${activationCode}`,
            'Store it now: it is not shown again. Activate with `tessera cloud activate <code>` on the instance.',
          ].join('\n'),
        );
      }),
    );

  licenses
    .command('list')
    .description('every license and its state')
    .option('--json', 'print JSON')
    .action((options: { json?: boolean }) =>
      withAuthority(async (deps) => {
        const list = await listLicenses(deps);
        output(options.json, list, () => table(list.map(row)));
      }),
    );

  licenses
    .command('revoke')
    .description('revoke a license: its next sync is refused')
    .argument('<id>', 'license id')
    .option('--json', 'print JSON')
    .action((id: string, options: { json?: boolean }) =>
      withAuthority(async (deps) => {
        const license = await revokeLicense(deps, cliActor(), Number(id));
        output(options.json, license, () => `license ${license.id} is ${license.state}`);
      }),
    );

  return licenses;
}

function row(license: LicenseView): Record<string, unknown> {
  return {
    id: license.id,
    licensee: license.licensee,
    plan: license.plan,
    'add-ons': license.add_ons.map((a) => `${a.name}:${a.seats}`).join(' '),
    state: license.state,
    expires: license.expires_at,
    instance: license.instance_id ?? '',
    'last sync': license.last_sync_at ?? '',
  };
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

async function withAuthority(work: (deps: LicenseAuthorityDeps) => Promise<void>): Promise<void> {
  const settings = loadSettings();
  const logger = createLogger({ level: 'warn', destination: pino.destination(2) });
  const { deps } = await openLicenseAuthority(settings, { logger });
  try {
    await work(deps);
  } finally {
    await deps.db.destroy();
  }
}
