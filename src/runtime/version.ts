import { readFileSync } from 'node:fs';

/*
 * What Tessera says it is. Clients (python-gitlab's `gl.version()`, Terraform-style tools) read the
 * platform version to decide which calls exist, so Tessera reports the platform release whose REST
 * conventions it follows, and its own version beside it.
 */

/** The platform release whose credential API Tessera follows (docs/gitlab-compatibility.md). */
export const GITLAB_API_VERSION = '17.11.0';

/** Tessera's own version, from the package it runs from. */
export const TESSERA_VERSION: string = (
  JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

/** The one line `tessera --version` prints. */
export function versionLine(): string {
  return `tessera ${TESSERA_VERSION} (GitLab API ${GITLAB_API_VERSION})`;
}

/** The answer of `GET /api/v4/metadata` (and `/version`, its mirror). */
export function instanceMetadata() {
  return {
    version: GITLAB_API_VERSION,
    revision: `tessera-${TESSERA_VERSION}`,
    // No agent server for Kubernetes: the platform's shape for a disabled one.
    kas: { enabled: false, externalUrl: null, externalK8sProxyUrl: null, version: null },
    enterprise: true,
    tessera: { version: TESSERA_VERSION },
  };
}
