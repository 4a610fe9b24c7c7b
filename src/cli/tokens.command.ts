import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { TesseraError, notFound } from '../errors/tessera-error.ts';
import { findAccessTokenById, listAccessTokens } from '../store/access-tokens.repository.ts';
import { findUserByUsername } from '../store/users.repository.ts';
import { accessTokenDeps } from '../tokens/access/access-token-deps.ts';
import { addDays, todayUtc } from '../tokens/access/access-token-expiry.ts';
import { deployTokenDeps } from '../tokens/deploy/deploy-token-deps.ts';
import {
  MAX_EXPIRY_WARNING_DAYS,
  listExpiringDeployTokens,
} from '../tokens/deploy/expiring-deploy-tokens.ts';
import { issuePersonalAccessToken } from '../tokens/access/personal-access-token.service.ts';
import { revokeAccessToken } from '../tokens/access/revoke-access-token.ts';
import { tokenInspectors } from '../runtime/token-authenticators.ts';
import { inspectorFor, type TokenInspection } from '../tokens/access/token-inspector.ts';
import { cliActor, output, table, withCliContext, type CliContext } from './cli-context.ts';

interface CreateOptions {
  user: string;
  name: string;
  scopes: string;
  expiresAt?: string;
  json?: boolean;
}

/** `tessera tokens create|revoke|inspect`: the operator's hands on access tokens. */
export function tokensCommand(): Command {
  const command = new Command('tokens').description('create, revoke and inspect access tokens');

  command
    .command('create')
    .description('create a personal access token for a user; its secret is printed once')
    .requiredOption('--user <username>', 'owner of the token')
    .requiredOption('--name <name>', 'name of the token')
    .requiredOption('--scopes <list>', 'comma-separated scopes, e.g. api,read_user')
    .option('--expires-at <date>', 'YYYY-MM-DD; the longest the policy allows when absent')
    .option('--json', 'print JSON')
    .action((options: CreateOptions) =>
      withCliContext(async (context) => {
        const user = await findUserByUsername(context.db, options.user);
        if (!user) throw notFound('User');
        const { token, plaintext } = await issuePersonalAccessToken(
          accessTokenDeps(context),
          {
            user,
            name: options.name,
            scopes: options.scopes
              .split(',')
              .map((s) => s.trim())
              .filter(Boolean),
            ...(options.expiresAt === undefined ? {} : { expiresAt: options.expiresAt }),
          },
          cliActor(),
        );
        const scopes = JSON.parse(token.scopes) as string[];
        output(
          options.json,
          {
            id: token.id,
            user: user.username,
            name: token.name,
            scopes,
            expires_at: token.expires_at,
            token: plaintext,
          },
          () =>
            `created token ${token.id} "${token.name}" for ${user.username} (expires ${token.expires_at})\n${plaintext}\nStore it now: it is not shown again.`,
        );
      }),
    );

  command
    .command('revoke')
    .description('revoke an access token by id')
    .argument('<id>', 'token id')
    .option('--json', 'print JSON')
    .action((id: string, options: { json?: boolean }) =>
      withCliContext(async (context) => {
        const token = /^\d+$/.test(id) ? await findAccessTokenById(context.db, Number(id)) : undefined;
        if (!token) throw new TesseraError('not_found', '404 Token Not Found');
        const changed = await revokeAccessToken(accessTokenDeps(context), cliActor(), token);
        output(options.json, { id: token.id, revoked: true, changed }, () =>
          changed ? `revoked token ${token.id}` : `token ${token.id} was already revoked`,
        );
      }),
    );

  command
    .command('inspect')
    .description('say what a token is (read from stdin or --token); the secret is never echoed')
    .option('--token <token>', 'the token; prefer stdin, which keeps it out of the shell history')
    .option('--json', 'print JSON')
    .action((options: { token?: string; json?: boolean }) =>
      withCliContext(async (context) => {
        const plaintext = (options.token ?? readFileSync(0, 'utf8')).trim();
        const inspectors = tokenInspectors(context);
        const inspector = inspectorFor(inspectors, plaintext, context.settings.tokenPrefix);
        if (!inspector) throw new TesseraError('unprocessable', 'unsupported token type');
        const inspection = await inspector.inspect(plaintext);
        if (!inspection) throw new TesseraError('not_found', '404 Token Not Found');
        output(options.json, inspection, () => describe(inspection));
      }),
    );

  command
    .command('expiring')
    .description('list active access and deploy tokens that expire within --days (default 7)')
    .option('--days <n>', 'how many days ahead to look', '7')
    .option('--json', 'print JSON')
    .action((options: { days: string; json?: boolean }) =>
      withCliContext(async (context) => {
        const tokens = await expiringTokens(context, options.days);
        output(options.json, tokens, () => table(tokens));
      }),
    );

  return command;
}

function describe(inspection: TokenInspection): string {
  const rows: Array<[string, string]> = [
    ['type', inspection.token_type],
    ['id', String(inspection.id)],
    ['name', inspection.name],
    ['owner', ownerOf(inspection)],
    ['scopes', inspection.scopes.join(', ')],
    ['expires', inspection.expires_at ?? 'never'],
    ['last used', inspection.last_used_at ?? 'never'],
    ['state', inspection.state],
  ];
  return rows.map(([key, value]) => `${key.padEnd(10)}${value}`).join('\n');
}

function ownerOf(inspection: TokenInspection): string {
  if (inspection.owner) return inspection.owner.username;
  if (inspection.user_id !== null) return `user ${inspection.user_id}`;
  return inspection.resource ? `${inspection.resource.type} ${inspection.resource.id}` : '(none)';
}

/** Access and deploy tokens of the whole instance that are active and expire within `days`. */
async function expiringTokens(context: CliContext, rawDays: string): Promise<Record<string, unknown>[]> {
  const days = /^\d{1,3}$/.test(rawDays) ? Number(rawDays) : NaN;
  if (!(days >= 1 && days <= MAX_EXPIRY_WARNING_DAYS)) {
    throw new TesseraError('bad_request', `--days must be from 1 to ${MAX_EXPIRY_WARNING_DAYS}`);
  }
  const page = { limit: 1000, offset: 0 };
  const today = todayUtc(context.clock);
  const access = await listAccessTokens(
    context.db,
    { state: { value: 'active', today }, expiresBefore: addDays(today, days) },
    page,
  );
  const deploy = await listExpiringDeployTokens(deployTokenDeps(context), null, null, days, page);
  return [
    ...access.map((t) => ({
      type: `${t.kind}_access_token`,
      id: t.id,
      name: t.name,
      owner: t.kind === 'personal' ? `user ${t.user_id}` : `${t.kind} ${t.resource_id}`,
      expires_at: t.expires_at,
    })),
    ...deploy.tokens.map((t) => ({
      type: 'deploy_token',
      id: t.id,
      name: t.name,
      owner: t.project_id !== null ? `project ${t.project_id}` : `group ${t.group_id}`,
      expires_at: t.expires_at,
    })),
  ].sort((a, b) => String(a.expires_at).localeCompare(String(b.expires_at)));
}
