import { randomBytes } from 'node:crypto';
import type { Trx } from '../../store/database.ts';
import { insertMember } from '../../store/members.repository.ts';
import type { User } from '../../store/schema.ts';
import { insertUser } from '../../store/users.repository.ts';
import { isoNow, type Clock } from '../../util/clock.ts';

export type BotResource = { kind: 'project' | 'group'; id: number };

/**
 * The platform's naming: `project_<id>_bot_<hex>` / `group_<id>_bot_<hex>`, mailed at
 * `<username>@noreply.<host>` so the address can never reach a person.
 */
export function botIdentity(resource: BotResource, externalUrl: string): { username: string; email: string } {
  const username = `${resource.kind}_${resource.id}_bot_${randomBytes(16).toString('hex')}`;
  return { username, email: `${username}@noreply.${new URL(externalUrl).hostname}` };
}

/** Creates the bot user a project or group token acts as, a member of its resource at `accessLevel`. */
export async function createBotUser(
  trx: Trx,
  clock: Clock,
  resource: BotResource,
  options: { name: string; accessLevel: number; externalUrl: string },
): Promise<User> {
  const { username, email } = botIdentity(resource, options.externalUrl);
  const createdAt = isoNow(clock);
  const bot = await insertUser(trx, {
    username,
    email,
    name: options.name,
    password_digest: null,
    is_admin: 0,
    state: 'active',
    bot_kind: resource.kind === 'project' ? 'project_bot' : 'group_bot',
    composite_identity_enforced: 0,
    created_at: createdAt,
  });
  await insertMember(trx, {
    source: { type: resource.kind === 'project' ? 'project' : 'namespace', id: resource.id },
    userId: bot.id,
    accessLevel: options.accessLevel,
    // The token's expiry governs; a membership expiry would need updating on every rotation.
    expiresAt: null,
    createdAt,
  });
  return bot;
}
