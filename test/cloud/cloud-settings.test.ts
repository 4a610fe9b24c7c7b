import { describe, expect, it } from 'vitest';
import { loadSettings, SettingsError } from '../../src/config/settings.ts';
import { aiTrustedIssuers } from '../../src/runtime/ai-trusted-issuers.ts';

describe('Cloud Connector settings', () => {
  it('default to a self-managed, license-mode instance next to the roles of `serve all`', () => {
    const settings = loadSettings({ TESSERA_PORT: '9000' });
    expect(settings.realm).toBe('self-managed');
    expect(settings.cloudConnector).toEqual({
      mode: 'license',
      licenseAuthorityUrl: 'http://127.0.0.1:9001',
      saasUrl: undefined,
      aiGatewayUrl: 'http://127.0.0.1:9002',
      workflowServiceAddress: '127.0.0.1:9003',
      trustedIssuers: undefined,
      syncIntervalSeconds: 1800,
      retryBaseSeconds: 10,
      instanceTokenLifetimeSeconds: 259200,
      licenseAuthorityAdminToken: undefined,
    });
  });

  it('trust the instance, plus the license authority in `serve all`, unless TESSERA_AI_TRUSTED_ISSUERS says otherwise', () => {
    const settings = loadSettings({ TESSERA_PORT: '9000' });
    expect(aiTrustedIssuers(settings, { withLicenseAuthority: true })).toEqual([
      { issuer: 'http://127.0.0.1:9000' },
      { issuer: 'http://127.0.0.1:9001' },
    ]);
    expect(aiTrustedIssuers(settings, { withLicenseAuthority: false })).toEqual([
      { issuer: 'http://127.0.0.1:9000' },
    ]);
    const configured = loadSettings({
      TESSERA_AI_TRUSTED_ISSUERS: 'https://gitlab.example.com/, https://customers.example.com',
    });
    expect(aiTrustedIssuers(configured, { withLicenseAuthority: true })).toEqual([
      { issuer: 'https://gitlab.example.com' },
      { issuer: 'https://customers.example.com' },
    ]);
  });

  it.each([
    [{ TESSERA_REALM: 'cloud' }, 'TESSERA_REALM'],
    [{ TESSERA_CLOUD_CONNECTOR_MODE: 'service_account' }, 'TESSERA_CLOUD_CONNECTOR_SAAS_URL'],
    [{ TESSERA_AI_TRUSTED_ISSUERS: 'not a url' }, 'TESSERA_AI_TRUSTED_ISSUERS'],
    [{ TESSERA_INSTANCE_TOKEN_LIFETIME: '0' }, 'TESSERA_INSTANCE_TOKEN_LIFETIME'],
  ])('refuse %o, naming %s', (env, name) => {
    expect(() => loadSettings(env)).toThrow(SettingsError);
    expect(() => loadSettings(env)).toThrow(new RegExp(`^${name}: `));
  });
});
