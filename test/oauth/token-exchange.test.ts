import * as client from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { User } from '../../src/store/schema.ts';
import { findUserById } from '../../src/store/users.repository.ts';
import {
  ACCESS_TOKEN_TYPE,
  ID_TOKEN_TYPE,
  TOKEN_EXCHANGE_GRANT_TYPE,
} from '../../src/tokens/oauth/token-exchange.grant.ts';
import { asBrowser } from '../identity/http-session.ts';
import { auditEvents } from '../identity/identity-fixtures.ts';
import { runPythonFixture } from '../support/gitlab-clients.ts';
import { rememberSecret } from '../support/secrets.ts';
import { depsOf, givePat } from '../tokens/token-fixtures.ts';
import {
  authorizeRequest,
  CALLBACK,
  consentFields,
  decide,
  json,
  startOAuthWorld,
  type OAuthWorld,
} from './oauth-fixtures.ts';

/*
 * RFC 8693 token exchange for composite identity, driven by an unmodified openid-client: a trusted
 * client trades alice's token and a service account's own token for a token that is the service
 * account acting for alice, with at most alice's scopes; and every refusal in the RFC's words.
 */

let world: OAuthWorld;
let account: User;
let actorPat: string;
let config: client.Configuration;
let alice: { access: string; idToken: string };
let clientId: string;
let clientSecret: string;

/** alice signs in to the service with the code flow, as any relying party's user would. */
async function aliceSignsIn(): Promise<{ access: string; idToken: string }> {
  const verifier = client.randomPKCECodeVerifier();
  const url = client.buildAuthorizationUrl(config, {
    redirect_uri: CALLBACK,
    scope: 'openid read_user api',
    code_challenge: await client.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
  });
  const page = await authorizeRequest(world.instance, world.asAlice, Object.fromEntries(url.searchParams));
  // A trusted application skips the consent page; any other shows it and alice approves.
  const approved =
    page.status === 302
      ? page
      : await decide(world.instance, world.asAlice, consentFields(await page.text()), 'approve');
  const callback = new URL(approved.headers.get('location')!);
  rememberSecret(callback.searchParams.get('code')!);
  const tokens = await client.authorizationCodeGrant(config, callback, {
    pkceCodeVerifier: verifier,
    idTokenExpected: true,
  });
  return { access: rememberSecret(tokens.access_token), idToken: rememberSecret(tokens.id_token!) };
}

const exchange = (parameters: Record<string, string>, using = config) =>
  client.genericGrantRequest(using, TOKEN_EXCHANGE_GRANT_TYPE, parameters);

/** The RFC error a refused exchange answered with. */
async function refusal(parameters: Record<string, string>, using = config): Promise<string> {
  try {
    await exchange(parameters, using);
  } catch (error) {
    if (error instanceof client.ResponseBodyError) return error.error;
    throw error;
  }
  throw new Error('the exchange was not refused');
}

beforeAll(async () => {
  world = await startOAuthWorld('oauth-token-exchange');
  const db = world.instance.context.db;
  const api = (path: string) => `${world.instance.url}/api/v4${path}`;
  const created = await asBrowser(world.asRoot, api('/service_accounts'), {
    method: 'POST',
    json: { name: 'Review Bot', username: 'review-bot', composite_identity_enforced: true },
  });
  expect(created.status).toBe(201);
  account = (await findUserById(db, (await json(created)).id))!;
  actorPat = (await givePat(depsOf(world.instance), account, ['api'])).plaintext;
  const app = await asBrowser(world.asRoot, api('/applications'), {
    method: 'POST',
    json: {
      name: 'Review service',
      redirect_uri: CALLBACK,
      scopes: 'api read_user openid',
      dynamic_user_scope: true,
      trusted: true,
    },
  });
  expect(app.status).toBe(201);
  const registered = await json(app);
  clientId = registered.application_id;
  clientSecret = rememberSecret(registered.secret);
  config = await client.discovery(new URL(world.instance.url), clientId, clientSecret, undefined, {
    execute: [client.allowInsecureRequests],
  });

  alice = await aliceSignsIn();
});
afterAll(() => world.instance.stop());

describe('token exchange (RFC 8693) through openid-client', () => {
  it("trades alice's access token and the service account's for a narrower composite token", async () => {
    const answer = await exchange({
      subject_token: alice.access,
      subject_token_type: ACCESS_TOKEN_TYPE,
      actor_token: actorPat,
      actor_token_type: ACCESS_TOKEN_TYPE,
      scope: 'read_user',
    });
    const token = rememberSecret(answer.access_token);
    expect(answer).toMatchObject({
      issued_token_type: ACCESS_TOKEN_TYPE,
      token_type: 'bearer',
      scope: `read_user user:${world.alice.id}`,
    });
    expect(answer.expires_in).toBeGreaterThan(0);
    expect(answer.expires_in).toBeLessThanOrEqual(3600);
    expect(answer.refresh_token).toBeUndefined();

    // The resource side: it authenticates, within read_user only.
    const user = await fetch(`${world.instance.url}/api/v4/user`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(user.status).toBe(200);
    const projects = await fetch(`${world.instance.url}/api/v4/projects`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'nope' }),
    });
    expect(projects.status).toBe(403);

    // Introspection says whose it is (alice) and who acts (the service account).
    const seen = await client.tokenIntrospection(config, token);
    expect(seen).toMatchObject({
      active: true,
      sub: String(world.alice.id),
      username: 'alice',
      act: { sub: String(account.id), username: 'review-bot' },
    });
    const audits = await auditEvents(world.instance.context.db, 'oauth_access_token.created');
    expect(audits.filter((event) => event.details.via === 'token_exchange')).toHaveLength(1);
  });

  it('trades an ID token of this issuer for what alice consented to this client', async () => {
    const answer = await exchange({
      subject_token: alice.idToken,
      subject_token_type: ID_TOKEN_TYPE,
      actor_token: actorPat,
      actor_token_type: ACCESS_TOKEN_TYPE,
    });
    rememberSecret(answer.access_token);
    expect(answer.scope).toBe(`read_user api user:${world.alice.id}`);
  });

  it('refuses in the RFC words: untrusted client, chained composite, broader scope, other audience, bad tokens', async () => {
    const base = {
      subject_token: alice.access,
      subject_token_type: ACCESS_TOKEN_TYPE,
      actor_token: actorPat,
      actor_token_type: ACCESS_TOKEN_TYPE,
    };
    const plain = await world.createApp();
    const untrusted = await client.discovery(
      new URL(world.instance.url),
      plain.clientId,
      plain.secret,
      undefined,
      {
        execute: [client.allowInsecureRequests],
      },
    );
    expect(await refusal(base, untrusted)).toBe('unauthorized_client');

    const composite = rememberSecret((await exchange({ ...base, scope: 'read_user' })).access_token);
    expect(await refusal({ ...base, subject_token: composite })).toBe('invalid_request');
    expect(await refusal({ ...base, scope: 'read_user sudo' })).toBe('invalid_scope');
    expect(await refusal({ ...base, scope: `read_user user:${world.bob.id}` })).toBe('invalid_scope');
    expect(await refusal({ ...base, audience: 'https://elsewhere.example' })).toBe('invalid_target');
    expect(await refusal({ ...base, requested_token_type: ID_TOKEN_TYPE })).toBe('invalid_request');
    const { actor_token: _actor, ...withoutActor } = base;
    expect(await refusal(withoutActor)).toBe('invalid_request');
    // The actor must be a service account with composite identity enforced, not a person.
    const bobPat = (await givePat(depsOf(world.instance), world.bob, ['api'])).plaintext;
    expect(await refusal({ ...base, actor_token: bobPat })).toBe('invalid_request');
    expect(await refusal({ ...base, subject_token: 'gloat-not-a-token' })).toBe('invalid_request');
    expect(await refusal({ ...base, subject_token_type: 'urn:ietf:params:oauth:token-type:saml2' })).toBe(
      'invalid_request',
    );

    // A revoked subject token cannot be exchanged any more.
    await client.tokenRevocation(config, alice.access);
    expect(await refusal(base)).toBe('invalid_request');
  });

  it("Authlib, a second implementation, exchanges through the server's metadata and introspects", async () => {
    // The previous test revoked alice's first token: she signs in again.
    const subject = (await aliceSignsIn()).access;
    const run = await runPythonFixture('test/oauth/fixtures/authlib_token_exchange.py', [
      world.instance.url,
      clientId,
      clientSecret,
      subject,
      actorPat,
    ]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.result).toEqual({
      advertised: true,
      issued_token_type: ACCESS_TOKEN_TYPE,
      scope: `read_user user:${world.alice.id}`,
      introspected: {
        active: true,
        sub: String(world.alice.id),
        act: { sub: String(account.id), username: 'review-bot' },
      },
      broader: 'invalid_scope',
    });
  });

  it('is advertised in both discovery documents', async () => {
    for (const path of ['/.well-known/openid-configuration', '/.well-known/oauth-authorization-server']) {
      const document = (await (await fetch(`${world.instance.url}${path}`)).json()) as {
        grant_types_supported: string[];
      };
      expect(document.grant_types_supported, path).toContain(TOKEN_EXCHANGE_GRANT_TYPE);
    }
  });
});
