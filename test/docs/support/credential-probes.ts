import { randomBytes, randomUUID } from 'node:crypto';
import type { CredentialName } from '../credential-vocabulary.ts';
import { basic, send, type CredentialMint, type LiveWorld } from './probe-world.ts';

/** One HTTP request being dressed with a credential. */
export interface HttpProbe {
  method: string;
  headers: Record<string, string>;
  /** JSON body fields (body credentials go here); sent for every method but GET/HEAD. */
  json: Record<string, unknown>;
  /** A probe that may change what it touches gets credentials of its own. */
  fresh: boolean;
  /** A dead state (`revoked`, `job finished`, …): present a credential of the kind that no longer works. */
  state: string | undefined;
  /** Ids the credential brings along, for the path's parameters (`/jobs/:id` is the job's own). */
  ids: { job?: number; deployToken?: number; pat?: number };
}

type Presenter = (probe: HttpProbe, mint: CredentialMint, world: LiveWorld) => Promise<void>;

const unknown = (prefix: string) => `${prefix}${randomBytes(20).toString('base64url')}`;
const isDead = (probe: HttpProbe) => probe.state !== undefined;

/** A JWT whose signature no longer matches: the kind, dead. */
function tampered(jwt: string): string {
  const [header, payload, signature] = jwt.split('.') as [string, string, string];
  const flipped = signature.startsWith('A') ? `B${signature.slice(1)}` : `A${signature.slice(1)}`;
  return `${header}.${payload}.${flipped}`;
}

async function pat(probe: HttpProbe, mint: CredentialMint): Promise<string> {
  if (probe.state === 'revoked') {
    const dead = await mint.pat('dead');
    await send(`${mint.baseUrl}/api/v4/personal_access_tokens/self`, {
      method: 'DELETE',
      headers: { 'private-token': dead.plaintext },
    });
    return dead.plaintext;
  }
  if (isDead(probe)) return unknown('glpat-');
  const token = await mint.pat(probe.fresh);
  probe.ids.pat = token.id;
  return token.plaintext;
}

async function jobToken(probe: HttpProbe, mint: CredentialMint): Promise<string> {
  if (isDead(probe) && probe.state !== 'job finished') return unknown('glcbt-');
  const job = await mint.job(isDead(probe) ? 'dead' : probe.fresh);
  probe.ids.job = job.id;
  if (probe.state === 'job finished') {
    await send(`${mint.baseUrl}/api/v4/jobs/${job.id}`, {
      method: 'PUT',
      json: { token: job.token, state: 'success' },
    });
  }
  return job.token;
}

async function oauth(probe: HttpProbe, mint: CredentialMint, composite: boolean): Promise<string> {
  if (isDead(probe) && probe.state !== 'revoked') return unknown('gloat-');
  const fresh = isDead(probe) ? 'dead' : probe.fresh;
  const token = composite ? await mint.composite(fresh) : await mint.oauth(fresh);
  if (probe.state === 'revoked') {
    const app = await mint.application();
    await send(`${mint.baseUrl}/oauth/revoke`, {
      method: 'POST',
      headers: { authorization: basic(app.clientId, app.secret) },
      form: { token },
    });
  }
  return token;
}

async function deployToken(
  probe: HttpProbe,
  mint: CredentialMint,
): Promise<{ username: string; token: string }> {
  const token = await mint.deployToken(isDead(probe) ? 'dead' : probe.fresh);
  probe.ids.deployToken = token.id;
  if (probe.state === 'revoked') {
    await send(`${mint.baseUrl}/api/v4/projects/demo%2Fhello/deploy_tokens/${token.id}`, {
      method: 'DELETE',
      headers: { 'private-token': await mint.adminPat() },
    });
    return token;
  }
  return isDead(probe) ? { username: token.username, token: unknown('gldt-') } : token;
}

async function jwt(probe: HttpProbe, live: () => Promise<string>): Promise<string> {
  const token = await live();
  return isDead(probe) ? tampered(token) : token;
}

/**
 * How each vocabulary credential is put on a request, live or dead. Credentials only third parties
 * accept have no presenter: a diagram sending one to Tessera fails.
 */
export const PRESENTERS: Partial<Record<CredentialName, Presenter>> = {
  none: async () => undefined,
  session: async (probe, mint) => {
    const session = await mint.session(probe.fresh);
    probe.headers.cookie = isDead(probe)
      ? `_tessera_session=${randomBytes(24).toString('base64url')}`
      : session.cookie;
    if (!['GET', 'HEAD'].includes(probe.method)) probe.headers['x-csrf-token'] = session.csrfToken;
  },
  'form: password': async (probe, _mint, world) => {
    probe.json.login = 'root';
    probe.json.password = isDead(probe) ? unknown('wrong-') : world.rootPassword;
  },
  'basic: password': async (probe, _mint, world) => {
    probe.headers.authorization = basic('root', isDead(probe) ? unknown('wrong-') : world.rootPassword);
  },
  'PRIVATE-TOKEN: PAT': async (probe, mint) => {
    probe.headers['private-token'] = await pat(probe, mint);
  },
  'bearer: PAT': async (probe, mint) => {
    probe.headers.authorization = `Bearer ${await pat(probe, mint)}`;
  },
  'basic: PAT': async (probe, mint) => {
    probe.headers.authorization = basic('root', await pat(probe, mint));
  },
  'bearer: OAuth': async (probe, mint) => {
    probe.headers.authorization = `Bearer ${await oauth(probe, mint, false)}`;
  },
  'basic: OAuth': async (probe, mint) => {
    probe.headers.authorization = basic('oauth2', await oauth(probe, mint, false));
  },
  'bearer: composite OAuth': async (probe, mint) => {
    probe.headers.authorization = `Bearer ${await oauth(probe, mint, true)}`;
  },
  'basic: composite OAuth': async (probe, mint) => {
    probe.headers.authorization = basic('oauth2', await oauth(probe, mint, true));
  },
  'JOB-TOKEN': async (probe, mint) => {
    probe.headers['job-token'] = await jobToken(probe, mint);
  },
  'basic: job token': async (probe, mint) => {
    probe.headers.authorization = basic('gitlab-ci-token', await jobToken(probe, mint));
  },
  'body: job token': async (probe, mint) => {
    probe.json.token = await jobToken(probe, mint);
  },
  'body: runner token': async (probe, mint) => {
    probe.json.token = isDead(probe) ? unknown('glrt-') : await mint.runner(probe.fresh);
  },
  'basic: deploy token': async (probe, mint) => {
    const token = await deployToken(probe, mint);
    probe.headers.authorization = basic(token.username, token.token);
  },
  'basic: OAuth client': async (probe, mint) => {
    const app = await mint.application();
    probe.headers.authorization = basic(app.clientId, isDead(probe) ? unknown('gloas-') : app.secret);
  },
  'form: public client': async (probe, mint) => {
    probe.json.client_id = isDead(probe)
      ? randomBytes(32).toString('hex')
      : (await mint.application('public')).clientId;
  },
  'bearer: authority admin token': async (probe, _mint, world) => {
    probe.headers.authorization = `Bearer ${isDead(probe) ? unknown('tslaa-') : world.authority.adminToken}`;
  },
  'body: activation code': async (probe, mint) => {
    probe.json.activation_code = isDead(probe)
      ? randomBytes(16).toString('hex')
      : await mint.activationCode();
    probe.json.instance_id = randomUUID();
  },
  'bearer: license key': async (probe, mint) => {
    probe.headers.authorization = `Bearer ${isDead(probe) ? unknown('tslk-') : await mint.licenseKey()}`;
  },
  'bearer: instance token': async (probe, mint) => {
    probe.headers.authorization = `Bearer ${await jwt(probe, () => mint.instanceToken())}`;
  },
  'bearer: user AI token': async (probe, mint) => {
    probe.headers.authorization = `Bearer ${await jwt(probe, () => mint.userAiToken())}`;
  },
  'bearer: gateway user token': async (probe, mint) => {
    probe.headers.authorization = `Bearer ${await jwt(probe, () => mint.gatewayUserToken())}`;
  },
  'bearer: workflow-service user token': async (probe, mint) => {
    probe.headers.authorization = `Bearer ${await jwt(probe, () => mint.workflowToken())}`;
  },
};
