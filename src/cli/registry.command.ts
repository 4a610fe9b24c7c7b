import { Command } from 'commander';
import { REGISTRY_KEY_ROLE, RegistryKeys } from '../registry/registry-keys.ts';
import { cliActor, output, table, withCliContext } from './cli-context.ts';

/**
 * `tessera registry cert|rotate`: the container registry's side of the token service. `cert` prints
 * the PEM bundle for the registry's `auth.token.rootcertbundle` — the certificate of every key a
 * registry must trust now, the next key's included so a rotation needs no registry restart at that
 * moment. Re-run it (and reload the registry) after each rotation, before the following one.
 */
export function registryCommand(): Command {
  const registry = new Command('registry').description(
    'container registry token service: certificates and keys',
  );

  registry
    .command('cert')
    .description('print the PEM certificate bundle for the registry (current and next key)')
    .option('--json', 'print JSON: each key with its libtrust kid and certificate')
    .action((options: { json?: boolean }) =>
      withCliContext(async (context) => {
        const keys = new RegistryKeys({
          db: context.db,
          box: context.secrets.box,
          clock: context.clock,
          x5c: context.settings.registry.x5c,
        });
        const described = await keys.describe();
        if (options.json) {
          output(
            true,
            described.map((key) => ({
              thumbprint: key.thumbprint,
              libtrust_kid: key.libtrustKid,
              state: key.state,
              certificate: key.certificatePem,
            })),
            () => '',
          );
          return;
        }
        process.stdout.write(described.map((key) => key.certificatePem).join(''));
      }),
    );

  registry
    .command('rotate')
    .description('rotate the registry keys now: next → active; print `registry cert` again afterwards')
    .option('--json', 'print JSON')
    .action((options: { json?: boolean }) =>
      withCliContext(async (context) => {
        const result = await context.keys.rotate(REGISTRY_KEY_ROLE, cliActor());
        output(options.json, { role: REGISTRY_KEY_ROLE, ...result }, () =>
          table([
            { state: 'active', kid: result.activated },
            { state: 'retired', kid: result.retired ?? '(none)' },
            { state: 'next', kid: result.next },
          ]),
        );
      }),
    );

  return registry;
}
