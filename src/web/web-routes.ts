import type { FastifyInstance } from 'fastify';
import type { InstanceContext } from '../runtime/instance-context.ts';
import { assetRoutes } from './assets.ts';
import { adminCiVariablesPage } from './pages/admin-ci-variables.page.ts';
import { adminRunnersPage } from './pages/admin-runners.page.ts';
import { groupsPage } from './pages/groups.page.ts';
import { adminUsersPage } from './pages/admin-users.page.ts';
import { adminUserPage } from './pages/admin-user.page.ts';
import { aiPlaygroundPage } from './pages/ai-playground.page.ts';
import { auditLogPage } from './pages/audit-log.page.ts';
import { ciCdSettingsPage } from './pages/ci-cd-settings.page.ts';
import { cloudConnectorPage } from './pages/cloud-connector.page.ts';
import { deployTokensPage } from './pages/deploy-tokens.page.ts';
import { groupCiCdSettingsPage } from './pages/group-ci-cd-settings.page.ts';
import { helpPage } from './pages/help.page.ts';
import { homePage } from './pages/home.page.ts';
import { passwordPage } from './pages/password.page.ts';
import { personalAccessTokensPage } from './pages/personal-access-tokens.page.ts';
import { pipelinesPage } from './pages/pipelines.page.ts';
import { projectsPage } from './pages/projects.page.ts';
import { signInPage } from './pages/sign-in.page.ts';
import { signingKeysPage } from './pages/signing-keys.page.ts';
import { tokenInspectorPage } from './pages/token-inspector.page.ts';
import { installWebErrorPages } from './web-errors.ts';
import type { NavEntry, WebDeps, WebPage } from './web-page.ts';
import { installWebSecurityHeaders } from './web-security.ts';
import { exempt } from '../http/route-permission.ts';

/**
 * Every page of the web UI, in navigation order. A page for a new credential (deploy tokens, CI/CD
 * settings, licenses) is one more module here.
 */
export const WEB_PAGES: readonly WebPage[] = [
  signInPage,
  homePage,
  personalAccessTokensPage,
  passwordPage,
  projectsPage,
  groupsPage,
  aiPlaygroundPage,
  adminUsersPage,
  adminUserPage,
  adminRunnersPage,
  adminCiVariablesPage,
  signingKeysPage,
  cloudConnectorPage,
  auditLogPage,
  tokenInspectorPage,
  // Project pages (reached from Projects): deploy tokens, CI/CD settings, pipelines and jobs.
  deployTokensPage,
  ciCdSettingsPage,
  pipelinesPage,
  // A group's page (reached from its projects' CI/CD settings): its CI/CD variables.
  groupCiCdSettingsPage,
  helpPage,
];

/**
 * Pages and their forms answer a signed-in browser session only (see `viewerOf`: a token on a page
 * request does not count), so no page needs a permission a token could hold: each is declared exempt
 * here, once, rather than on every page.
 */
function declareSessionOnly(app: FastifyInstance): void {
  app.addHook('onRoute', (route) => {
    route.config = {
      ...route.config,
      ...exempt('a web UI page or asset: a signed-in browser session answers it, never a token'),
    };
  });
}

/**
 * The web UI, server-rendered: registered as its own plugin so its HTML error pages and security
 * headers (strict CSP, no caching) apply to its routes and leave the API's JSON answers alone.
 */
export async function webRoutes(app: FastifyInstance, options: { context: InstanceContext }): Promise<void> {
  const nav: NavEntry[] = WEB_PAGES.flatMap((page) => (page.nav ? [page.nav] : []));
  const deps: WebDeps = { context: options.context, nav };
  installWebSecurityHeaders(app);
  installWebErrorPages(app, deps);
  declareSessionOnly(app);
  assetRoutes(app);
  for (const page of WEB_PAGES) page.routes(app, deps);
}
