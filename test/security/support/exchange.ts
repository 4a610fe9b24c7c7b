import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { expect } from 'vitest';
import type { Db } from '../../../src/store/database.ts';
import { testLogDir } from '../../support/secrets.ts';

/** A raw HTTP answer: status, headers and the body as text (parsed when it is JSON). */
export interface Exchange {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  json: any;
}

/**
 * One HTTP request over a real socket with exactly the headers given (node:http sends what `fetch`
 * would tidy up or refuse), optionally from another loopback address (127.0.0.2, …) so a test can be
 * several clients. Every error body is kept for the secret-leak check (see {@link keepForLeakCheck}).
 */
export function exchange(
  url: string,
  init: { method?: string; headers?: Record<string, string>; body?: string; localAddress?: string } = {},
): Promise<Exchange> {
  const target = new URL(url);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: target.hostname,
        port: target.port,
        path: target.pathname + target.search,
        method: init.method ?? 'GET',
        headers: {
          ...init.headers,
          ...(init.body !== undefined ? { 'content-length': String(Buffer.byteLength(init.body)) } : {}),
        },
        localAddress: init.localAddress,
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => {
          const status = res.statusCode ?? 0;
          if (status >= 400) keepForLeakCheck('error-bodies', `${status} ${text}`);
          let json: unknown;
          try {
            json = text ? JSON.parse(text) : null;
          } catch {
            json = undefined;
          }
          resolve({ status, headers: res.headers, text, json });
        });
      },
    );
    req.on('error', reject);
    req.end(init.body);
  });
}

/**
 * Appends text to a `.log` file of the run's log directory, which `scripts/check-log-leaks.ts` (the
 * last step of `npm test`) searches for every secret the suite created: error bodies and audit events
 * are held to the same rule as server logs.
 */
export function keepForLeakCheck(kind: 'error-bodies' | 'audit-events', text: string): void {
  appendFileSync(join(testLogDir(), `${kind}-${process.pid}.log`), `${text}\n`);
}

/** Every audit event of a store, kept for the leak check and returned for the test's own assertions. */
export async function keepAuditEvents(db: Db): Promise<string> {
  const rows = await db.selectFrom('audit_events').selectAll().orderBy('id').execute();
  const text = rows.map((row) => JSON.stringify(row)).join('\n');
  keepForLeakCheck('audit-events', text);
  return text;
}

/** Secrets remembered so far in this run (by every test file). */
export function rememberedSecrets(): string[] {
  const file = join(testLogDir(), 'secrets.txt');
  if (!existsSync(file)) return [];
  return [...new Set(readFileSync(file, 'utf8').split('\n'))].filter((s) => s.length >= 8);
}

/** Fails the test, naming the first characters of each secret `text` contains. */
export function expectNoRememberedSecretIn(text: string, secrets = rememberedSecrets()): void {
  const found = secrets.filter((secret) => text.includes(secret)).map((s) => `${s.slice(0, 6)}…`);
  expect(found).toEqual([]);
}
