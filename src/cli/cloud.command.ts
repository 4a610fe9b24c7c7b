import { Command } from 'commander';
import { cloudConnectorFor } from '../cloud/instance/cloud-connector.ts';
import type { CloudConnectorStatus } from '../cloud/instance/cloud-connector-status.ts';
import { SEALED } from '../cloud/instance/cloud-connector-deps.ts';
import { cloudConnectorState } from '../cloud/instance/instance-identity.ts';
import { TesseraError } from '../errors/tessera-error.ts';
import { cliActor, output, table, withCliContext } from './cli-context.ts';

interface JsonOption {
  json?: boolean;
}

/**
 * `tessera cloud activate|status|sync|service-account-token|instance-token`: the instance side of
 * Cloud Connector, for its operator. Works next to a running server (same store): the server sees
 * the new license and token at once, since both live in the store.
 */
export function cloudCommand(): Command {
  const cloud = new Command('cloud').description('Cloud Connector: license activation, sync, status');

  cloud
    .command('activate')
    .description('activate this instance with a license activation code, then sync')
    .argument('<code>', 'the activation code from the license authority')
    .option('--json', 'print JSON')
    .action((code: string, options: JsonOption) =>
      withCliContext(async (context) => {
        const status = await cloudConnectorFor(context).activate(cliActor(), code);
        output(options.json, status, () => `activated\n${formatStatus(status)}`);
        failOnSyncError(status);
      }),
    );

  cloud
    .command('status')
    .description('license, instance token, sync health and seats')
    .option('--json', 'print JSON')
    .action((options: JsonOption) =>
      withCliContext(async (context) => {
        const status = await cloudConnectorFor(context).status();
        output(options.json, status, () => formatStatus(status));
      }),
    );

  cloud
    .command('sync')
    .description('obtain a fresh instance token now')
    .option('--json', 'print JSON')
    .action((options: JsonOption) =>
      withCliContext(async (context) => {
        const status = await cloudConnectorFor(context).syncNow();
        output(options.json, status, () => formatStatus(status));
        failOnSyncError(status);
      }),
    );

  cloud
    .command('service-account-token')
    .description('store the SaaS service account token (service_account mode), read from stdin')
    .option('--json', 'print JSON')
    .action((options: JsonOption) =>
      withCliContext(async (context) => {
        const token = (await readStdin()).trim();
        const status = await cloudConnectorFor(context).setServiceAccountToken(cliActor(), token);
        output(options.json, status, () => formatStatus(status));
      }),
    );

  cloud
    .command('instance-token')
    .description(
      "print the stored instance token (to call an AI service by hand, as seed 001's test client does)",
    )
    .action(() =>
      withCliContext(async (context) => {
        const state = await cloudConnectorState(context.db, context.clock);
        if (state.instance_token_encrypted === null) {
          throw new TesseraError('not_found', 'no instance token is stored; activate and sync first');
        }
        process.stdout.write(
          `${context.secrets.box.open(state.instance_token_encrypted, SEALED.instanceToken)}\n`,
        );
      }),
    );

  return cloud;
}

/**
 * A sync that failed fails the command (status 1, the reason on stderr), even after an activation
 * that succeeded: without an instance token the instance has no AI access, and scripts must know.
 */
function failOnSyncError(status: CloudConnectorStatus): void {
  if (status.sync.last_error === null) return;
  process.stderr.write(`tessera: the sync failed: ${status.sync.last_error}\n`);
  process.exitCode = 1;
}

function formatStatus(status: CloudConnectorStatus): string {
  const token = status.instance_token;
  const lines = [
    `instance id:     ${status.instance_id}`,
    `realm / mode:    ${status.realm} / ${status.mode} (tokens from ${status.source})`,
    `license:         ${status.license ? `${status.license.licensee} (${status.license.plan}), until ${status.license.expires_at}` : '(none)'}`,
    `instance token:  ${token ? `${token.expired ? 'EXPIRED' : 'valid'} until ${token.expires_at}, ${token.scopes.length} unit primitives` : '(none)'}`,
    `last sync:       ${status.sync.last_attempt_at ?? '(never)'}${status.sync.last_error ? ` — FAILED: ${status.sync.last_error}` : ''}`,
    `next sync:       ${status.sync.next_attempt_at ?? '(when the server runs)'}`,
    '',
    table(
      status.add_ons.map((a) => ({
        'add-on': a.name,
        purchased: a.purchased ?? 'unlimited',
        assigned: a.assigned,
      })),
    ),
  ];
  return lines.join('\n');
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
