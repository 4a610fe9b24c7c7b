import { spawnSync } from 'node:child_process';
import type { TestInstance } from '../support/instance.ts';
import { rememberSecret } from '../support/secrets.ts';
import type { Json } from '../tokens/token-fixtures.ts';

/** `GET /jwt/auth` with optional basic credentials, answering status, headers and parsed body. */
export async function registryAuth(
  instance: TestInstance,
  query: string,
  credentials?: { username: string; password: string } | { raw: string },
): Promise<{ status: number; headers: Headers; body: Json }> {
  const headers: Record<string, string> = {};
  if (credentials && 'raw' in credentials) headers.authorization = credentials.raw;
  else if (credentials) {
    headers.authorization = `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')}`;
  }
  const response = await fetch(`${instance.url}/jwt/auth?${query}`, { headers });
  const text = await response.text();
  const body = text ? JSON.parse(text) : null;
  if (typeof body?.token === 'string') rememberSecret(body.token);
  return { status: response.status, headers: response.headers, body };
}

/** The query of a token request for one or more scopes of the default service. */
export function scopeQuery(...scopes: string[]): string {
  const params = new URLSearchParams({ service: 'container_registry' });
  for (const scope of scopes) params.append('scope', scope);
  return params.toString();
}

/** Runs the real CLI against the instance's store (same data directory, hence the same secrets). */
export function tesseraCli(
  instance: TestInstance,
  args: string[],
): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, ['bin/tessera.mjs', ...args], {
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      TESSERA_DATA_DIR: instance.settings.dataDir,
      TESSERA_DATABASE_URL: instance.settings.databaseUrl,
      TESSERA_LOG_LEVEL: 'error',
    },
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}
