import { Command, Option } from 'commander';
import type { KeyListing } from '../keys/key-listing.ts';
import type { KeyManager } from '../keys/key-manager.ts';
import { cliActor, openCliContext, output, table } from './cli-context.ts';

/** Roles whose keys live in the store (the AI gateway keeps its key in memory). */
const KEY_ROLES = ['instance', 'license-authority', 'registry', 'workflow-service'] as const;

interface KeysOptions {
  role: string;
  json?: boolean;
}

const roleOption = () => new Option('--role <role>', 'whose keys').choices(KEY_ROLES).default('instance');

/**
 * `tessera keys list|rotate`: inspect a role's signing keys, or rotate them now (after a suspected leak,
 * or to switch algorithm without waiting for the schedule).
 */
export function keysCommand(): Command {
  const keys = new Command('keys').description('signing keys: list and rotate');

  keys
    .command('list')
    .description("show a role's signing keys and the next scheduled rotation")
    .addOption(roleOption())
    .option('--json', 'print JSON')
    .action(async (options: KeysOptions) => {
      const listing = await withKeys((manager) => manager.list(options.role));
      output(options.json, listing, () => formatListing(listing));
    });

  keys
    .command('rotate')
    .description('rotate now: next → active, active → retired (published until its tokens expire)')
    .addOption(roleOption())
    .option('--json', 'print JSON')
    .action(async (options: KeysOptions) => {
      const result = await withKeys((manager) => manager.rotate(options.role, cliActor()));
      output(options.json, { role: options.role, ...result }, () =>
        table([
          { state: 'active', kid: result.activated },
          { state: 'retired', kid: result.retired ?? '(none)' },
          { state: 'next', kid: result.next },
        ]),
      );
    });

  return keys;
}

async function withKeys<T>(use: (keys: KeyManager) => Promise<T>): Promise<T> {
  const context = await openCliContext();
  try {
    return await use(context.keys);
  } finally {
    await context.close();
  }
}

function formatListing(listing: KeyListing): string {
  const rows = listing.keys.map((key) => ({
    kid: key.kid,
    alg: key.alg,
    state: key.state,
    created: key.created_at,
    activated: key.activated_at,
    retired: key.retired_at,
    'remove after': key.remove_after,
  }));
  return `${table(rows)}\n\nnext rotation: ${listing.next_rotation_at ?? '(no active key)'}`;
}
