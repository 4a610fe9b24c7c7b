import { describe, expect, it } from 'vitest';
import { loadSettings, SettingsError } from '../../src/config/settings.ts';

describe('TESSERA_WORKFLOW_SERVICE_URL', () => {
  it('defaults to the local workflow service role (port + 3)', () => {
    expect(loadSettings({ TESSERA_PORT: '9000' }).cloudConnector.workflowServiceAddress).toBe(
      '127.0.0.1:9003',
    );
    expect(
      loadSettings({ TESSERA_WORKFLOW_SERVICE_PORT: '7000' }).cloudConnector.workflowServiceAddress,
    ).toBe('127.0.0.1:7000');
  });

  it('names the host:port jobs and IDEs dial', () => {
    const settings = loadSettings({ TESSERA_WORKFLOW_SERVICE_URL: 'http://workflows.internal:50052/' });
    expect(settings.cloudConnector.workflowServiceAddress).toBe('workflows.internal:50052');
  });

  it('refuses a path or a non-URL, naming the setting', () => {
    expect(() => loadSettings({ TESSERA_WORKFLOW_SERVICE_URL: 'http://w.internal:1/api' })).toThrow(
      SettingsError,
    );
    expect(() => loadSettings({ TESSERA_WORKFLOW_SERVICE_URL: 'w.internal:1' })).toThrow(
      /TESSERA_WORKFLOW_SERVICE_URL/,
    );
  });
});
