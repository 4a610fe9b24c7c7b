import type { FastifyRequest } from 'fastify';
import { TesseraError } from '../../errors/tessera-error.ts';
import { canManageProject } from '../../identity/permissions.ts';
import { addDays, todayUtc } from '../../tokens/access/access-token-expiry.ts';
import { deployTokenDeps, type DeployTokenDeps } from '../../tokens/deploy/deploy-token-deps.ts';
import {
  createDeployToken,
  findResourceDeployToken,
  listResourceDeployTokens,
  revokeResourceDeployToken,
  type DeployTokenResource,
} from '../../tokens/deploy/deploy-token.service.ts';
import { projectDeploySettingsView } from '../../tokens/deploy/project-deploy-settings.service.ts';
import { rotateDeployToken } from '../../tokens/deploy/rotate-deploy-token.service.ts';
import { html } from '../html.ts';
import { notice } from '../layout.ts';
import { NewTokenFlash } from '../new-token-flash.ts';
import { sendHtml } from '../send-html.ts';
import type { WebDeps, WebPage } from '../web-page.ts';
import { formFields, listField, queryText, textField, webActor } from '../web-request.ts';
import {
  deployTokenForm,
  deployTokenTable,
  newDeployTokenPanel,
  type DeployTokenFormValues,
} from './deploy-tokens.view.ts';
import {
  projectPagePath,
  projectRoute,
  renderProjectPage,
  requireProjectView,
  type ProjectView,
} from './project-page.ts';
import { fieldProblem } from '../token-forms.ts';

const SUFFIX = 'settings/repository';
const TOKENS = `${SUFFIX}/deploy_tokens`;
/** How many tokens the page lists; a project with more sees the newest. */
const LISTED = 100;
const FLASH_COOKIE = '_tessera_new_deploy_token';
const FIELD_LABELS: Record<string, string> = {
  name: 'Token name',
  username: 'Username',
  scopes: 'Scopes',
  expires_at: 'Expiration date',
};

/**
 * Project → Settings → Repository → Deploy tokens: list (the Auto DevOps `gitlab-deploy-token` marked
 * as such), create, revoke and rotate through the deploy-token services. A rotation's page says until
 * when the old secret keeps working (the project's grace period).
 */
export const deployTokensPage: WebPage = {
  routes(app, deps) {
    const { context } = deps;
    const tokens = deployTokenDeps(context);
    const flashFor = (view: ProjectView) =>
      new NewTokenFlash(
        context.secrets.box,
        context.clock,
        context.settings,
        projectPagePath(view.project, SUFFIX),
        FLASH_COOKIE,
      );
    const resourceOf = (view: ProjectView): DeployTokenResource => ({
      kind: 'project',
      project: view.project,
    });
    const tokenIdOf = (request: FastifyRequest) => {
      const raw = (request.params as Record<string, string>).token_id ?? '';
      return /^\d{1,15}$/.test(raw) ? Number(raw) : NaN;
    };

    projectRoute(app, 'GET', SUFFIX, async (request, reply) => {
      const view = await requireProjectView(request, context, canManageProject);
      const shown = flashFor(view).take(request, reply, view.viewer);
      const revokedId = Number(queryText(request, 'revoked'));
      const revoked =
        Number.isSafeInteger(revokedId) && revokedId > 0
          ? await findResourceDeployToken(tokens, view.viewer.user, resourceOf(view), revokedId).catch(
              () => null,
            )
          : null;
      const done = revoked?.revoked
        ? `“${revoked.name}” was revoked: anything still using it now gets 401.`
        : null;
      return sendHtml(reply, await page(deps, tokens, view, { shown, done }));
    });

    projectRoute(app, 'POST', TOKENS, async (request, reply) => {
      const view = await requireProjectView(request, context, canManageProject);
      const fields = formFields(request);
      const values: DeployTokenFormValues = {
        name: textField(fields, 'name'),
        username: textField(fields, 'username'),
        scopes: listField(fields, 'scopes'),
        expiresAt: textField(fields, 'expires_at'),
      };
      try {
        const issued = await createDeployToken(
          tokens,
          webActor(request, view.viewer),
          view.viewer.user,
          resourceOf(view),
          {
            name: values.name,
            ...(values.username ? { username: values.username } : {}),
            scopes: values.scopes,
            expiresAt: values.expiresAt,
          },
        );
        flashFor(view).put(reply, view.viewer, {
          action: 'created',
          tokenId: issued.token.id,
          tokenName: issued.token.name,
          plaintext: issued.plaintext,
          username: issued.token.username,
        });
        return reply.redirect(projectPagePath(view.project, SUFFIX), 303);
      } catch (error) {
        if (!(error instanceof TesseraError) || error.code !== 'bad_request') throw error;
        return sendHtml(
          reply,
          await page(deps, tokens, view, { values, problem: fieldProblem(error, FIELD_LABELS) }),
          400,
        );
      }
    });

    projectRoute(app, 'POST', `${TOKENS}/:token_id/revoke`, async (request, reply) => {
      const view = await requireProjectView(request, context, canManageProject);
      const id = tokenIdOf(request);
      await revokeResourceDeployToken(
        tokens,
        webActor(request, view.viewer),
        view.viewer.user,
        resourceOf(view),
        id,
      );
      return reply.redirect(`${projectPagePath(view.project, SUFFIX)}?revoked=${id}`, 303);
    });

    projectRoute(app, 'POST', `${TOKENS}/:token_id/rotate`, async (request, reply) => {
      const view = await requireProjectView(request, context, canManageProject);
      try {
        const rotated = await rotateDeployToken(
          tokens,
          webActor(request, view.viewer),
          view.viewer.user,
          resourceOf(view),
          tokenIdOf(request),
        );
        flashFor(view).put(reply, view.viewer, {
          action: 'rotated',
          tokenId: rotated.token.id,
          tokenName: rotated.token.name,
          plaintext: rotated.plaintext,
          username: rotated.token.username,
          previousValidUntil: rotated.previousValidUntil,
        });
        return reply.redirect(projectPagePath(view.project, SUFFIX), 303);
      } catch (error) {
        // A stale page (the token was revoked or rotated meanwhile in another tab).
        if (!(error instanceof TesseraError) || !['bad_request', 'conflict'].includes(error.code))
          throw error;
        return sendHtml(
          reply,
          await page(deps, tokens, view, { problem: fieldProblem(error, FIELD_LABELS) }),
          409,
        );
      }
    });
  },
};

async function page(
  deps: WebDeps,
  tokens: DeployTokenDeps,
  view: ProjectView,
  state: {
    shown?: Parameters<typeof newDeployTokenPanel>[0] | null;
    done?: string | null;
    values?: DeployTokenFormValues;
    problem?: string;
  },
) {
  const { clock } = deps.context;
  const [listing, settings] = await Promise.all([
    listResourceDeployTokens(
      tokens,
      view.viewer.user,
      { kind: 'project', project: view.project },
      {},
      { limit: LISTED, offset: 0 },
    ),
    projectDeploySettingsView(deps.context.db, view.project),
  ]);
  const values = state.values ?? { name: '', username: '', scopes: [], expiresAt: '' };
  const base = projectPagePath(view.project, TOKENS);
  const grace = settings.deploy_token_grace_period;
  const main = html`<h2>Deploy tokens</h2>
    <p>
      Deploy tokens give read or write access to this project's repository and registries without a person's
      account: for servers, clusters and automation. A rotated token's old secret keeps working for
      <strong data-testid="grace-period">${graceText(grace)}</strong> (the project's grace period), so what
      uses it can be updated without downtime.
    </p>
    <p class="hint">
      <code>gitlab-deploy-token</code> is special: CI jobs receive it as <code>CI_DEPLOY_USER</code> /
      <code>CI_DEPLOY_PASSWORD</code>. Auto DevOps creates it (marked “auto-created”) and revokes it again
      when turned off: see <a href="${projectPagePath(view.project, 'settings/ci_cd')}">Settings → CI/CD</a>.
    </p>
    ${state.shown ? newDeployTokenPanel(state.shown) : ''} ${state.done ? notice('success', state.done) : ''}
    ${state.problem ? notice('error', state.problem) : ''}
    ${deployTokenForm(base, view.viewer.csrfToken, values, addDays(todayUtc(clock), 1))}
    <h3 id="deploy-token-list">Active and past tokens <span class="muted">(${listing.total})</span></h3>
    ${deployTokenTable(listing.tokens, clock, base, view.viewer.csrfToken)}`;
  return renderProjectPage(deps, view, {
    tab: 'repository',
    title: 'Repository settings',
    docs: {
      label: 'Deploy tokens: creation, use, rotation and Auto DevOps',
      href: '/help/flows/deploy-tokens-and-registry',
    },
    main,
  });
}

function graceText(seconds: number): string {
  if (seconds === 0) return 'no time at all (it stops at once)';
  if (seconds % 86400 === 0) return `${seconds / 86400} day${seconds === 86400 ? '' : 's'}`;
  if (seconds % 3600 === 0) return `${seconds / 3600} hour${seconds === 3600 ? '' : 's'}`;
  return `${seconds} seconds`;
}
