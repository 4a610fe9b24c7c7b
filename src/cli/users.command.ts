import { Command } from 'commander';
import { randomSecret } from '../crypto/secrets.ts';
import { notFound } from '../errors/tessera-error.ts';
import { blockUser, createUser, unblockUser } from '../identity/user.service.ts';
import { findUserByUsername } from '../store/users.repository.ts';
import { publishEviction } from '../tokens/cache-evictions.ts';
import { cliActor, output, withCliContext } from './cli-context.ts';

interface CreateOptions {
  username: string;
  email: string;
  name?: string;
  password?: string;
  admin?: boolean;
  json?: boolean;
}

/** `tessera users create|block|unblock`. */
export function usersCommand(): Command {
  const command = new Command('users').description('manage users');

  command
    .command('create')
    .description('create a user; without --password one is generated and printed once')
    .requiredOption('--username <username>', 'username')
    .requiredOption('--email <email>', 'email address')
    .option('--name <name>', 'display name (the username when absent)')
    .option('--password <password>', 'initial password')
    .option('--admin', 'make the user an administrator')
    .option('--json', 'print JSON')
    .action((options: CreateOptions) =>
      withCliContext(async (context) => {
        const generated = options.password === undefined ? randomSecret(18) : undefined;
        const user = await createUser(context.db, context.clock, cliActor(), {
          username: options.username,
          email: options.email,
          ...(options.name === undefined ? {} : { name: options.name }),
          password: options.password ?? generated!,
          admin: options.admin === true,
        });
        const result = {
          id: user.id,
          username: user.username,
          email: user.email,
          is_admin: user.is_admin === 1,
          ...(generated ? { password: generated } : {}),
        };
        output(options.json, result, () =>
          generated
            ? `created user ${user.id} "${user.username}"\npassword: ${generated}\nStore it now: it is not shown again.`
            : `created user ${user.id} "${user.username}"`,
        );
      }),
    );

  for (const [name, change] of [
    ['block', blockUser],
    ['unblock', unblockUser],
  ] as const) {
    command
      .command(name)
      .description(`${name} a user`)
      .requiredOption('--username <username>', 'username')
      .option('--json', 'print JSON')
      .action((options: { username: string; json?: boolean }) =>
        withCliContext(async (context) => {
          const found = await findUserByUsername(context.db, options.username);
          if (!found) throw notFound('User');
          const user = await change(context.db, context.clock, cliActor(), found.id);
          // The servers' caches are in other processes: only the feed (Redis) reaches them before their TTL.
          if (name === 'block') await publishEviction(context.db, { userIds: [user.id] });
          output(
            options.json,
            { id: user.id, username: user.username, state: user.state },
            () => `${user.username}: ${user.state}`,
          );
        }),
      );
  }
  return command;
}
