import { Command } from 'commander';
import { cloudConnectorFor } from '../cloud/instance/cloud-connector.ts';
import { assignSeat, listSeats, unassignSeat } from '../cloud/instance/seats.service.ts';
import { notFound } from '../errors/tessera-error.ts';
import type { CliContext } from './cli-context.ts';
import { cliActor, output, table, withCliContext } from './cli-context.ts';
import { findUserByUsername } from '../store/users.repository.ts';

interface SeatOptions {
  addOn: string;
  user: string;
  json?: boolean;
}

/** `tessera seats assign|unassign|list`: add-on seats of this instance's users. */
export function seatsCommand(): Command {
  const seats = new Command('seats').description('add-on seats: who may use which AI features');

  seats
    .command('assign')
    .description('give a user a seat of an add-on')
    .requiredOption('--add-on <name>', 'add-on, e.g. duo_pro')
    .requiredOption('--user <username>', 'the user')
    .option('--json', 'print JSON')
    .action((options: SeatOptions) =>
      withCliContext(async (context) => {
        const userId = await userIdOf(context, options.user);
        const { seat, created } = await assignSeat(
          cloudConnectorFor(context).deps,
          cliActor(),
          options.addOn,
          userId,
        );
        output(options.json, seat, () =>
          created
            ? `${seat.username} now holds a seat of ${seat.add_on}`
            : `${seat.username} already held a seat of ${seat.add_on}`,
        );
      }),
    );

  seats
    .command('unassign')
    .description("take a user's seat of an add-on away")
    .requiredOption('--add-on <name>', 'add-on')
    .requiredOption('--user <username>', 'the user')
    .option('--json', 'print JSON')
    .action((options: SeatOptions) =>
      withCliContext(async (context) => {
        const userId = await userIdOf(context, options.user);
        await unassignSeat(cloudConnectorFor(context).deps, cliActor(), options.addOn, userId);
        output(
          options.json,
          { add_on: options.addOn, user: options.user, unassigned: true },
          () => 'seat removed',
        );
      }),
    );

  seats
    .command('list')
    .description('the seats of an add-on')
    .requiredOption('--add-on <name>', 'add-on')
    .option('--json', 'print JSON')
    .action((options: Omit<SeatOptions, 'user'>) =>
      withCliContext(async (context) => {
        const list = await listSeats(cloudConnectorFor(context).deps, options.addOn);
        output(options.json, list, () =>
          table(list.map((s) => ({ user: s.username, id: s.user_id, 'assigned at': s.assigned_at }))),
        );
      }),
    );

  return seats;
}

async function userIdOf(context: CliContext, username: string): Promise<number> {
  const user = await findUserByUsername(context.db, username);
  if (!user) throw notFound('User');
  return user.id;
}
