import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { TesseraError, notFound } from '../errors/tessera-error.ts';
import { findAccessTokenById } from '../store/access-tokens.repository.ts';
import { findUserByUsername } from '../store/users.repository.ts';
import { accessTokenDeps } from '../tokens/access/access-token-deps.ts';
import { issuePersonalAccessToken } from '../tokens/access/personal-access-token.service.ts';
import { revokeAccessToken } from '../tokens/access/revoke-access-token.ts';
import {
  AccessTokenInspector,
  inspectorFor,
  type TokenInspection,
} from '../tokens/access/token-inspector.ts';
import { cliActor, output, withCliContext } from './cli-context.ts';

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
        const inspectors = [new AccessTokenInspector(accessTokenDeps(context))];
        const inspector = inspectorFor(inspectors, plaintext, context.settings.tokenPrefix);
        if (!inspector) throw new TesseraError('unprocessable', 'unsupported token type');
        const inspection = await inspector.inspect(plaintext);
        if (!inspection) throw new TesseraError('not_found', '404 Token Not Found');
        output(options.json, inspection, () => describe(inspection));
      }),
    );

  return command;
}

function describe(inspection: TokenInspection): string {
  const rows: Array<[string, string]> = [
    ['type', inspection.token_type],
    ['id', String(inspection.id)],
    ['name', inspection.name],
    ['owner', inspection.owner?.username ?? `user ${inspection.user_id}`],
    ['scopes', inspection.scopes.join(', ')],
    ['expires', inspection.expires_at ?? 'never'],
    ['last used', inspection.last_used_at ?? 'never'],
    ['state', inspection.state],
  ];
  return rows.map(([key, value]) => `${key.padEnd(10)}${value}`).join('\n');
}
