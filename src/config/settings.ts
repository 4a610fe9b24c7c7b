import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { join, resolve } from 'node:path';

/** Every role Tessera can serve; `all` runs each of them in one process. */
export const ROLES = ['instance', 'license-authority', 'ai-gateway', 'workflow-service'] as const;
export type Role = (typeof ROLES)[number];

export type SigningAlgorithm = 'RS256' | 'ES256';

export interface Settings {
  /** Base URL clients see; it is the `iss` of every token and the root of every absolute URL. */
  externalUrl: string;
  /** Interface the HTTP servers bind to. */
  host: string;
  port: number;
  /** Ports of the other roles when they run inside `all`. */
  rolePorts: Record<Exclude<Role, 'instance'>, number>;
  dataDir: string;
  /** `sqlite:<file>` or `postgres://…`. */
  databaseUrl: string;
  /** 32-byte key that encrypts private signing keys and stored secrets; generated into dataDir when unset. */
  keyEncryptionKey: string | undefined;
  /** 32-byte key under which opaque secrets are digested; generated into dataDir when unset. */
  digestSecret: string | undefined;
  /** Optional prefix put before every opaque token prefix (`<prefix>-glpat-…`). */
  tokenPrefix: string;
  signingAlgorithm: SigningAlgorithm;
  /** How long a key stays active before the scheduler rotates it. */
  keyRotationIntervalSeconds: number;
  /** Longest lifetime of any JWT the instance signs: a retired key stays published this long. */
  maxJwtLifetimeSeconds: number;
  /** Upper bound on the expiry of an access token, in days. */
  accessTokenMaxLifetimeDays: number;
  /** Whether administrators may make impersonation tokens, and existing ones authenticate (GitLab's `impersonation_enabled`). */
  impersonationEnabled: boolean;
  sessionIdleTimeoutSeconds: number;
  sessionAbsoluteTimeoutSeconds: number;
  /** Failed sign-ins or token authentications allowed per window, per account and per address. */
  authFailureLimit: number;
  authFailureWindowSeconds: number;
  /** How long a replica trusts a cached access-token lookup: the bound on noticing another replica's revocation. */
  tokenCacheTtlSeconds: number;
  /**
   * How long a replica trusts a verified running job (`TESSERA_JOB_TOKEN_CACHE_TTL_MS`, 0 = no cache): the
   * bound on noticing that another replica ended the job. In the replica that ends it, the end is exact.
   */
  jobTokenCacheTtlMs: number;
  /**
   * How often a workflow-service replica asks the store for revocations newer than the last it saw
   * (`TESSERA_WORKFLOW_REVOCATION_POLL_MS`): without Redis, the bound on refusing a token another
   * replica revoked; with Redis, the safety net behind pub/sub.
   */
  workflowRevocationPollMs: number;
  redisUrl: string | undefined;
  /**
   * Addresses or CIDR ranges of the load balancers in front of the HTTP roles. Only requests from these
   * have `X-Forwarded-For` believed, so per-address limits and audit events see the real client.
   */
  trustedProxies: string[];
  /**
   * Seconds a role keeps running after SIGTERM with readiness failing, before it stops accepting
   * requests: time for a load balancer to notice and send new requests elsewhere.
   */
  drainDelaySeconds: number;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  rootPassword: string | undefined;
  rootToken: string | undefined;
  /** `self-managed` (default) or `saas`: who signs this instance's Cloud Connector instance token. */
  realm: Realm;
  cloudConnector: CloudConnectorSettings;
  registry: RegistrySettings;
  ci: CiSettings;
  oauth: OAuthSettings;
}

/** The OAuth 2 provider. */
export interface OAuthSettings {
  /** Lifetime of OAuth access tokens (refresh tokens live until used, revoked, or their grant ends). */
  accessTokenLifetimeSeconds: number;
  /** How long a device authorization (RFC 8628) waits for the user. */
  deviceCodeLifetimeSeconds: number;
  /** The least time a device waits between two polls of the token endpoint. */
  devicePollIntervalSeconds: number;
}

/** Pipelines, runners and job credentials. */
export interface CiSettings {
  /** `host[:port]` jobs get as `CI_REGISTRY`; unset: the instance's own host. */
  registryHost: string | undefined;
  /** Longest time `POST /jobs/request` holds a runner's request open waiting for a job. */
  runnerLongPollSeconds: number;
  /** How often overdue running jobs are failed as timed out (their tokens are refused at the deadline anyway). */
  watchdogIntervalSeconds: number;
}

/** The container registry token service (`GET /jwt/auth`). */
export interface RegistrySettings {
  /** `iss` of registry tokens; the registry's `auth.token.issuer` must equal it. */
  issuer: string;
  /** The registry's `auth.token.service`: the only `service` accepted, and the tokens' `aud`. */
  service: string;
  tokenLifetimeSeconds: number;
  /** Also send the signing certificate as `x5c` (besides the libtrust `kid`). */
  x5c: boolean;
  /** Accept a user's password as registry credentials (off: tokens only). */
  passwordAuth: boolean;
}

export type Realm = 'self-managed' | 'saas';

/** How the instance reaches the AI services, and how the license authority role behaves. */
export interface CloudConnectorSettings {
  /** `license` (default): instance token from the license authority; `service_account`: from a SaaS instance. */
  mode: 'license' | 'service_account';
  /** The license authority: where an instance activates and syncs, and the authority's own `iss`. */
  licenseAuthorityUrl: string;
  /** The SaaS instance that issues instance tokens in `service_account` mode. */
  saasUrl: string | undefined;
  /** `base_url` handed to IDEs by direct_access: the AI gateway. */
  aiGatewayUrl: string;
  /** `host:port` of the workflow service (gRPC): GenerateToken, RevokeWorkflowTokens, and what jobs and IDEs dial. */
  workflowServiceAddress: string;
  /** Issuers the AI gateway and workflow service trust; unset: the instance (and, in `all`, the authority). */
  trustedIssuers: string[] | undefined;
  /** Longest wait between two syncs of the instance token. */
  syncIntervalSeconds: number;
  /** First retry delay after a failed sync; doubles per failure up to the sync interval. */
  retryBaseSeconds: number;
  /** Lifetime of the instance tokens the license authority signs. */
  instanceTokenLifetimeSeconds: number;
  /** Admin token of the license authority's API; generated into the data dir when unset. */
  licenseAuthorityAdminToken: string | undefined;
}

/** A setting that cannot be used: the message names it and says what is expected. */
export class SettingsError extends Error {
  constructor(
    readonly setting: string,
    reason: string,
  ) {
    super(`${setting}: ${reason}`);
    this.name = 'SettingsError';
  }
}

type Source = Record<string, string | undefined>;

const DEFAULT_PORT = 8080;

/**
 * Reads settings from `TESSERA_*` variables, over the optional JSON file named by `TESSERA_CONFIG_FILE`
 * (its keys are the variable names without the `TESSERA_` prefix). The environment wins over the file.
 */
export function loadSettings(env: Source = process.env): Settings {
  const source = { ...readConfigFile(env.TESSERA_CONFIG_FILE), ...pickTessera(env) };
  const read = new Reader(source);

  const port = read.port('TESSERA_PORT', DEFAULT_PORT);
  const host = read.string('TESSERA_HOST', '127.0.0.1');
  const dataDir = resolve(read.string('TESSERA_DATA_DIR', join(process.cwd(), 'data')));
  const externalUrl = read.url('TESSERA_EXTERNAL_URL', `http://${hostForUrl(host)}:${port}`);

  const settings: Settings = {
    externalUrl,
    host,
    port,
    rolePorts: {
      'license-authority': read.port('TESSERA_LICENSE_AUTHORITY_PORT', port + 1),
      'ai-gateway': read.port('TESSERA_AI_GATEWAY_PORT', port + 2),
      'workflow-service': read.port('TESSERA_WORKFLOW_SERVICE_PORT', port + 3),
    },
    dataDir,
    databaseUrl: read.databaseUrl('TESSERA_DATABASE_URL', `sqlite:${join(dataDir, 'tessera.sqlite')}`),
    keyEncryptionKey: read.secretKey('TESSERA_KEY_ENCRYPTION_KEY'),
    digestSecret: read.secretKey('TESSERA_DIGEST_SECRET'),
    tokenPrefix: read.tokenPrefix('TESSERA_TOKEN_PREFIX'),
    signingAlgorithm: read.oneOf('TESSERA_SIGNING_ALGORITHM', ['RS256', 'ES256'] as const, 'RS256'),
    keyRotationIntervalSeconds: read.positiveInt('TESSERA_KEY_ROTATION_INTERVAL', 30 * 24 * 3600),
    maxJwtLifetimeSeconds: read.positiveInt('TESSERA_MAX_JWT_LIFETIME', 24 * 3600),
    accessTokenMaxLifetimeDays: read.positiveInt('TESSERA_ACCESS_TOKEN_MAX_LIFETIME_DAYS', 365),
    impersonationEnabled:
      read.oneOf('TESSERA_IMPERSONATION_ENABLED', ['true', 'false'] as const, 'true') === 'true',
    sessionIdleTimeoutSeconds: read.positiveInt('TESSERA_SESSION_IDLE_TIMEOUT', 2 * 3600),
    sessionAbsoluteTimeoutSeconds: read.positiveInt('TESSERA_SESSION_ABSOLUTE_TIMEOUT', 7 * 24 * 3600),
    authFailureLimit: read.positiveInt('TESSERA_AUTH_FAILURE_LIMIT', 10),
    authFailureWindowSeconds: read.positiveInt('TESSERA_AUTH_FAILURE_WINDOW', 60),
    tokenCacheTtlSeconds: read.positiveInt('TESSERA_TOKEN_CACHE_TTL', 30),
    jobTokenCacheTtlMs: read.wholeNumber('TESSERA_JOB_TOKEN_CACHE_TTL_MS', 2000),
    workflowRevocationPollMs: read.positiveInt('TESSERA_WORKFLOW_REVOCATION_POLL_MS', 2000),
    redisUrl: read.optionalUrl('TESSERA_REDIS_URL'),
    trustedProxies: read.addressList('TESSERA_TRUSTED_PROXIES'),
    drainDelaySeconds: read.wholeNumber('TESSERA_DRAIN_DELAY_SECONDS', 0),
    logLevel: read.oneOf(
      'TESSERA_LOG_LEVEL',
      ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const,
      'info',
    ),
    rootPassword: read.optional('TESSERA_ROOT_PASSWORD'),
    rootToken: read.optional('TESSERA_ROOT_TOKEN'),
    realm: read.oneOf('TESSERA_REALM', ['self-managed', 'saas'] as const, 'self-managed'),
    cloudConnector: readCloudConnector(read, host, port),
    registry: readRegistry(read),
    ci: readCi(read),
    oauth: readOAuth(read),
  };
  if (settings.registry.tokenLifetimeSeconds > settings.maxJwtLifetimeSeconds) {
    throw new SettingsError('TESSERA_REGISTRY_TOKEN_LIFETIME', 'must not exceed TESSERA_MAX_JWT_LIFETIME');
  }
  if (settings.rootPassword !== undefined && settings.rootPassword.length < 8) {
    throw new SettingsError('TESSERA_ROOT_PASSWORD', 'must be at least 8 characters');
  }
  return settings;
}

function readCloudConnector(read: Reader, host: string, port: number): CloudConnectorSettings {
  const roleUrl = (variable: string, offset: number) =>
    `http://${hostForUrl(host)}:${read.port(variable, port + offset)}`;
  const mode = read.oneOf('TESSERA_CLOUD_CONNECTOR_MODE', ['license', 'service_account'] as const, 'license');
  const saasUrl = read.optionalUrl('TESSERA_CLOUD_CONNECTOR_SAAS_URL');
  if (mode === 'service_account' && saasUrl === undefined) {
    throw new SettingsError('TESSERA_CLOUD_CONNECTOR_SAAS_URL', 'is required in service_account mode');
  }
  const syncIntervalSeconds = read.positiveInt('TESSERA_CLOUD_CONNECTOR_SYNC_INTERVAL', 1800);
  return {
    mode,
    licenseAuthorityUrl: read.url(
      'TESSERA_LICENSE_AUTHORITY_URL',
      roleUrl('TESSERA_LICENSE_AUTHORITY_PORT', 1),
    ),
    saasUrl,
    aiGatewayUrl: read.url('TESSERA_AI_GATEWAY_URL', roleUrl('TESSERA_AI_GATEWAY_PORT', 2)),
    workflowServiceAddress: grpcAddress(
      read.url('TESSERA_WORKFLOW_SERVICE_URL', roleUrl('TESSERA_WORKFLOW_SERVICE_PORT', 3)),
    ),
    trustedIssuers: read.urlList('TESSERA_AI_TRUSTED_ISSUERS'),
    syncIntervalSeconds,
    retryBaseSeconds: Math.min(
      read.positiveInt('TESSERA_CLOUD_CONNECTOR_RETRY_BASE', 10),
      syncIntervalSeconds,
    ),
    instanceTokenLifetimeSeconds: read.positiveInt('TESSERA_INSTANCE_TOKEN_LIFETIME', 3 * 24 * 3600),
    licenseAuthorityAdminToken: read.optional('TESSERA_LICENSE_AUTHORITY_ADMIN_TOKEN'),
  };
}

function readRegistry(read: Reader): RegistrySettings {
  const flag = (name: string) => read.oneOf(name, ['true', 'false'] as const, 'false') === 'true';
  return {
    issuer: read.string('TESSERA_REGISTRY_ISSUER', 'gitlab-issuer'),
    service: read.string('TESSERA_REGISTRY_SERVICE', 'container_registry'),
    tokenLifetimeSeconds: read.positiveInt('TESSERA_REGISTRY_TOKEN_LIFETIME', 300),
    x5c: flag('TESSERA_REGISTRY_X5C'),
    passwordAuth: flag('TESSERA_REGISTRY_PASSWORD_AUTH'),
  };
}

function readCi(read: Reader): CiSettings {
  const registryHost = read.optional('TESSERA_CI_REGISTRY_HOST');
  if (registryHost !== undefined && !/^[A-Za-z0-9.-]+(:\d{1,5})?$/.test(registryHost)) {
    throw new SettingsError('TESSERA_CI_REGISTRY_HOST', `must be host or host:port, got "${registryHost}"`);
  }
  const runnerLongPollSeconds = read.positiveInt('TESSERA_CI_RUNNER_LONG_POLL', 30);
  if (runnerLongPollSeconds > 300) {
    throw new SettingsError('TESSERA_CI_RUNNER_LONG_POLL', 'must be at most 300 seconds');
  }
  return {
    registryHost,
    runnerLongPollSeconds,
    watchdogIntervalSeconds: read.positiveInt('TESSERA_CI_WATCHDOG_INTERVAL', 10),
  };
}

function readOAuth(read: Reader): OAuthSettings {
  const accessTokenLifetimeSeconds = read.positiveInt('TESSERA_OAUTH_ACCESS_TOKEN_LIFETIME', 2 * 3600);
  if (accessTokenLifetimeSeconds > 24 * 3600) {
    throw new SettingsError('TESSERA_OAUTH_ACCESS_TOKEN_LIFETIME', 'must be at most 86400 seconds');
  }
  const deviceCodeLifetimeSeconds = read.positiveInt('TESSERA_OAUTH_DEVICE_CODE_LIFETIME', 600);
  if (deviceCodeLifetimeSeconds > 3600) {
    throw new SettingsError('TESSERA_OAUTH_DEVICE_CODE_LIFETIME', 'must be at most 3600 seconds');
  }
  const devicePollIntervalSeconds = read.positiveInt('TESSERA_OAUTH_DEVICE_POLL_INTERVAL', 5);
  if (devicePollIntervalSeconds > 60) {
    throw new SettingsError('TESSERA_OAUTH_DEVICE_POLL_INTERVAL', 'must be at most 60 seconds');
  }
  return { accessTokenLifetimeSeconds, deviceCodeLifetimeSeconds, devicePollIntervalSeconds };
}

function pickTessera(env: Source): Source {
  return Object.fromEntries(Object.entries(env).filter(([key]) => key.startsWith('TESSERA_')));
}

function readConfigFile(path: string | undefined): Source {
  if (!path) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new SettingsError(
      'TESSERA_CONFIG_FILE',
      `cannot read ${path} as JSON (${(error as Error).message})`,
    );
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new SettingsError('TESSERA_CONFIG_FILE', `${path} must hold a JSON object`);
  }
  return Object.fromEntries(
    Object.entries(parsed).map(([key, value]) => [`TESSERA_${key.toUpperCase()}`, String(value)]),
  );
}

/** `host:port` of a `http://host:port` URL: what a gRPC client dials (the scheme only says plaintext). */
function grpcAddress(url: string): string {
  const parsed = new URL(url);
  if (parsed.pathname !== '/' && parsed.pathname !== '') {
    throw new SettingsError(
      'TESSERA_WORKFLOW_SERVICE_URL',
      `must be http://host:port without a path, got "${url}"`,
    );
  }
  return parsed.port ? parsed.host : `${parsed.host}:${parsed.protocol === 'https:' ? 443 : 80}`;
}

function hostForUrl(host: string): string {
  if (host === '0.0.0.0' || host === '::') return 'localhost';
  return host.includes(':') ? `[${host}]` : host;
}

class Reader {
  constructor(private readonly source: Source) {}

  optional(name: string): string | undefined {
    const value = this.source[name];
    return value === undefined || value === '' ? undefined : value;
  }

  string(name: string, fallback: string): string {
    return this.optional(name) ?? fallback;
  }

  positiveInt(name: string, fallback: number): number {
    const raw = this.optional(name);
    if (raw === undefined) return fallback;
    if (!/^\d+$/.test(raw) || Number(raw) <= 0) {
      throw new SettingsError(name, `must be a positive whole number, got "${raw}"`);
    }
    return Number(raw);
  }

  wholeNumber(name: string, fallback: number): number {
    const raw = this.optional(name);
    if (raw === undefined) return fallback;
    if (!/^\d+$/.test(raw)) throw new SettingsError(name, `must be a whole number, got "${raw}"`);
    return Number(raw);
  }

  port(name: string, fallback: number): number {
    const raw = this.optional(name);
    if (raw === undefined) return fallback;
    if (!/^\d+$/.test(raw) || Number(raw) > 65535) {
      throw new SettingsError(name, `must be a port number from 0 to 65535, got "${raw}"`);
    }
    return Number(raw);
  }

  url(name: string, fallback: string): string {
    const value = this.optionalUrl(name) ?? fallback;
    return value.replace(/\/+$/, '');
  }

  optionalUrl(name: string): string | undefined {
    const raw = this.optional(name);
    if (raw === undefined) return undefined;
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      throw new SettingsError(name, `must be an absolute URL, got "${raw}"`);
    }
    if (url.search || url.hash) throw new SettingsError(name, 'must not carry a query or fragment');
    return raw.replace(/\/+$/, '');
  }

  /** Comma-separated absolute URLs; undefined when unset. */
  urlList(name: string): string[] | undefined {
    const raw = this.optional(name);
    if (raw === undefined) return undefined;
    const urls = raw
      .split(',')
      .map((part) => part.trim())
      .filter((part) => part !== '');
    for (const url of urls) {
      if (!URL.canParse(url)) throw new SettingsError(name, `must list absolute URLs, got "${url}"`);
    }
    if (urls.length === 0) throw new SettingsError(name, 'must list at least one URL');
    return urls.map((url) => url.replace(/\/+$/, ''));
  }

  /** Comma-separated IP addresses or CIDR ranges; empty when unset. */
  addressList(name: string): string[] {
    const raw = this.optional(name);
    if (raw === undefined) return [];
    const entries = raw
      .split(',')
      .map((part) => part.trim())
      .filter((part) => part !== '');
    for (const entry of entries) {
      const [address, bits, ...rest] = entry.split('/');
      const family = isIP(address ?? '');
      const maxBits = family === 6 ? 128 : 32;
      const bitsValid = bits === undefined || (/^\d{1,3}$/.test(bits) && Number(bits) <= maxBits);
      if (family === 0 || !bitsValid || rest.length > 0) {
        throw new SettingsError(name, `must list IP addresses or CIDR ranges, got "${entry}"`);
      }
    }
    return entries;
  }

  databaseUrl(name: string, fallback: string): string {
    const raw = this.optional(name) ?? fallback;
    if (!/^(sqlite:.+|postgres(ql)?:\/\/.+)$/.test(raw)) {
      throw new SettingsError(name, 'must be "sqlite:<file>" or "postgres://…"');
    }
    return raw;
  }

  secretKey(name: string): string | undefined {
    const raw = this.optional(name);
    if (raw === undefined) return undefined;
    if (Buffer.from(raw, 'base64url').length !== 32) {
      throw new SettingsError(
        name,
        'must be 32 bytes in base64url (generate one with `openssl rand -base64 32`)',
      );
    }
    return raw;
  }

  tokenPrefix(name: string): string {
    const raw = this.optional(name);
    if (raw === undefined) return '';
    if (!/^[a-z0-9]{1,20}$/.test(raw)) {
      throw new SettingsError(name, 'must be 1 to 20 lowercase letters or digits');
    }
    return raw;
  }

  oneOf<T extends string>(name: string, allowed: readonly T[], fallback: T): T {
    const raw = this.optional(name);
    if (raw === undefined) return fallback;
    if (!(allowed as readonly string[]).includes(raw)) {
      throw new SettingsError(name, `must be one of ${allowed.join(', ')}, got "${raw}"`);
    }
    return raw as T;
  }
}
