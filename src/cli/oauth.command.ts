import { setTimeout as sleep } from 'node:timers/promises';
import { Command } from 'commander';
import { output } from './cli-context.ts';

interface DeviceLoginOptions {
  url: string;
  clientId: string;
  scope?: string;
  json?: boolean;
}

/** The token endpoint's answer, as the device grant returns it. */
export interface DeviceLoginTokens {
  access_token: string;
  token_type: string;
  expires_in: number;
  refresh_token?: string;
  scope: string;
  created_at: number;
  id_token?: string;
}

const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';
/** RFC 8628 §3.5: on `slow_down`, wait five seconds longer from then on. */
const SLOW_DOWN_SECONDS = 5;

/**
 * `tessera oauth device-login`: the device side of RFC 8628 against an instance, for CLIs and IDEs
 * that cannot receive a redirect. Prints the code and where to enter it, polls the token endpoint at
 * the interval the instance asks for, and prints the tokens (`--json`: the token response; the
 * instructions then go to stderr so stdout stays parseable). A confidential application's secret is
 * read from `TESSERA_OAUTH_CLIENT_SECRET`, never from the command line (where `ps` would show it).
 */
export function oauthCommand(): Command {
  const command = new Command('oauth').description('OAuth client helpers');
  command
    .command('device-login')
    .description('Sign in with the device authorization grant and print the tokens')
    .requiredOption('--url <url>', 'the instance, e.g. http://127.0.0.1:8080')
    .requiredOption('--client-id <id>', 'the OAuth application id')
    .option('--scope <scopes>', 'space-separated scopes (default: the instance default, api)')
    .option('--json', 'print the token response as JSON')
    .action(async (options: DeviceLoginOptions) => {
      const tokens = await runDeviceLogin({
        ...options,
        clientSecret: process.env.TESSERA_OAUTH_CLIENT_SECRET,
        say: (line) => (options.json ? process.stderr : process.stdout).write(`${line}\n`),
      });
      output(options.json, tokens, () =>
        [
          `Signed in. Access token (expires in ${tokens.expires_in} s, scopes: ${tokens.scope}):`,
          tokens.access_token,
          ...(tokens.refresh_token ? ['Refresh token:', tokens.refresh_token] : []),
        ].join('\n'),
      );
    });
  return command;
}

/** The device login's work, apart from argument parsing and printing the result. */
export async function runDeviceLogin(options: {
  url: string;
  clientId: string;
  clientSecret?: string;
  scope?: string;
  say(line: string): void;
}): Promise<DeviceLoginTokens> {
  const base = options.url.replace(/\/+$/, '');
  const client = {
    client_id: options.clientId,
    ...(options.clientSecret ? { client_secret: options.clientSecret } : {}),
  };
  const started = await post(`${base}/oauth/authorize_device`, {
    ...client,
    ...(options.scope ? { scope: options.scope } : {}),
  });
  if (started.status !== 200) throw new Error(`device authorization refused: ${describeError(started.body)}`);
  const authorization = started.body as {
    device_code: string;
    user_code: string;
    verification_uri: string;
    verification_uri_complete?: string;
    expires_in: number;
    interval?: number;
  };
  options.say(
    `To sign in, open ${authorization.verification_uri} and enter the code: ${authorization.user_code}`,
  );
  if (authorization.verification_uri_complete)
    options.say(`Or open ${authorization.verification_uri_complete}`);

  let interval = authorization.interval ?? 5;
  const deadline = Date.now() + authorization.expires_in * 1000;
  while (Date.now() < deadline) {
    await sleep(interval * 1000);
    const polled = await post(`${base}/oauth/token`, {
      ...client,
      grant_type: DEVICE_GRANT,
      device_code: authorization.device_code,
    });
    if (polled.status === 200) return polled.body as DeviceLoginTokens;
    const error = (polled.body as { error?: string } | null)?.error;
    if (error === 'authorization_pending') continue;
    if (error === 'slow_down') {
      interval += SLOW_DOWN_SECONDS;
      continue;
    }
    throw new Error(`sign-in failed: ${describeError(polled.body)}`);
  }
  throw new Error('sign-in failed: the code expired before it was approved');
}

async function post(url: string, form: Record<string, string>): Promise<{ status: number; body: unknown }> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
    body: new URLSearchParams(form).toString(),
  });
  const text = await response.text();
  let body: unknown;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    body = { error: `HTTP ${response.status}` };
  }
  return { status: response.status, body };
}

function describeError(body: unknown): string {
  const { error, error_description: description } = (body ?? {}) as {
    error?: string;
    error_description?: string;
  };
  return [error ?? 'unknown error', description].filter(Boolean).join(': ');
}
