import type { IssuerConfig } from '@tessera/sdk';
import type { Settings } from '../config/settings.ts';

/**
 * Issuers whose tokens the AI gateway and the workflow service accept: `TESSERA_AI_TRUSTED_ISSUERS`
 * when set; otherwise the instance at the external URL (its user AI tokens, and its instance token
 * when it is SaaS) and — when the license authority runs in the same `serve all` — the authority
 * (the instance tokens of licensed self-managed instances). Keys are found through each issuer's
 * discovery document.
 */
export function aiTrustedIssuers(
  settings: Settings,
  options: { withLicenseAuthority: boolean },
): IssuerConfig[] {
  const urls = settings.cloudConnector.trustedIssuers ?? [
    settings.externalUrl,
    ...(options.withLicenseAuthority ? [settings.cloudConnector.licenseAuthorityUrl] : []),
  ];
  return [...new Set(urls)].map((issuer) => ({ issuer }));
}
