import type { FastifyReply } from 'fastify';
import { TesseraError, notFound } from '../../errors/tessera-error.ts';
import type { AccessToken, User } from '../../store/schema.ts';
import { accessTokenDeps, type AccessTokenDeps } from '../../tokens/access/access-token-deps.ts';
import { addDays, todayUtc } from '../../tokens/access/access-token-expiry.ts';
import { accessTokenState } from '../../tokens/access/access-token-state.ts';
import { listPersonalAccessTokens } from '../../tokens/access/list-access-tokens.ts';
import {
  createPersonalAccessToken,
  findVisiblePersonalAccessToken,
  revokePersonalAccessToken,
} from '../../tokens/access/personal-access-token.service.ts';
import { rotateAccessToken } from '../../tokens/access/rotate-access-token.service.ts';
import { grantableScopes } from '../../tokens/access/scopes.ts';
import { html, type HtmlValue } from '../html.ts';
import { notice, renderPage } from '../layout.ts';
import { NewTokenFlash, type NewTokenNotice } from '../new-token-flash.ts';
import { sendHtml } from '../send-html.ts';
import type { WebDeps, WebPage } from '../web-page.ts';
import {
  formFields,
  listField,
  queryText,
  requireViewer,
  textField,
  webActor,
  type Viewer,
} from '../web-request.ts';
import {
  PAT_PAGE_PATH,
  newTokenPanel,
  tokenForm,
  tokenTable,
  type TokenFormValues,
} from './personal-access-tokens.view.ts';
import { fieldProblem } from '../token-forms.ts';

/** How many tokens the page lists; a person with more sees the newest. */
const LISTED = 100;
/** The date the form suggests, as the platform does; the policy may allow less. */
const SUGGESTED_DAYS = 30;
/** Field names of the services' 400s, as the form labels them. */
const FIELD_LABELS: Record<string, string> = {
  name: 'Token name',
  scopes: 'Scopes',
  expires_at: 'Expiration date',
};

type IdParams = { Params: { id: string } };

/**
 * User settings → Access tokens: list, create (the secret shown once after a redirect), revoke and
 * rotate. The forms call the access-token services directly, as the REST routes do.
 */
export const personalAccessTokensPage: WebPage = {
  nav: { section: 'user', label: 'Access tokens', path: PAT_PAGE_PATH },
  routes(app, deps) {
    const { context } = deps;
    const tokens = accessTokenDeps(context);
    const flash = new NewTokenFlash(context.secrets.box, context.clock, context.settings, PAT_PAGE_PATH);

    app.get(PAT_PAGE_PATH, async (request, reply) => {
      const viewer = requireViewer(request, context);
      const shown = flash.take(request, reply, viewer);
      const revoked = await revokedToken(tokens, viewer.user, queryText(request, 'revoked'));
      const done = revoked && `“${revoked.name}” was revoked: anything still using it now gets 401.`;
      return sendHtml(reply, await page(deps, tokens, viewer, { shown, done }));
    });

    app.post(PAT_PAGE_PATH, async (request, reply) => {
      const viewer = requireViewer(request, context);
      const fields = formFields(request);
      const values: TokenFormValues = {
        name: textField(fields, 'name'),
        scopes: listField(fields, 'scopes'),
        expiresAt: textField(fields, 'expires_at'),
      };
      try {
        const issued = await createPersonalAccessToken(
          tokens,
          webActor(request, viewer),
          viewer.user,
          viewer.user.id,
          values,
        );
        return showOnce(reply, flash, viewer, {
          action: 'created',
          tokenId: issued.token.id,
          tokenName: issued.token.name,
          plaintext: issued.plaintext,
        });
      } catch (error) {
        if (!(error instanceof TesseraError) || error.code !== 'bad_request') throw error;
        return sendHtml(
          reply,
          await page(deps, tokens, viewer, { values, problem: fieldProblem(error, FIELD_LABELS) }),
          400,
        );
      }
    });

    app.post<IdParams>(`${PAT_PAGE_PATH}/:id/revoke`, async (request, reply) => {
      const viewer = requireViewer(request, context);
      const token = await ownToken(tokens, viewer.user, request.params.id);
      await revokePersonalAccessToken(tokens, webActor(request, viewer), viewer.user, token.id);
      return reply.redirect(`${PAT_PAGE_PATH}?revoked=${token.id}`, 303);
    });

    app.post<IdParams>(`${PAT_PAGE_PATH}/:id/rotate`, async (request, reply) => {
      const viewer = requireViewer(request, context);
      const token = await ownToken(tokens, viewer.user, request.params.id);
      // A stale page (another tab rotated it already) must not trip the service's reuse detection,
      // which would revoke the whole family, the fresh token included.
      if (accessTokenState(token, context.clock) !== 'active') {
        const problem = `“${token.name}” is ${accessTokenState(token, context.clock)} and cannot be rotated.`;
        return sendHtml(reply, await page(deps, tokens, viewer, { problem }), 409);
      }
      try {
        const rotated = await rotateAccessToken(tokens, webActor(request, viewer), token);
        return showOnce(reply, flash, viewer, {
          action: 'rotated',
          tokenId: rotated.token.id,
          tokenName: rotated.token.name,
          plaintext: rotated.plaintext,
        });
      } catch (error) {
        if (!(error instanceof TesseraError) || error.code !== 'bad_request') throw error;
        return sendHtml(reply, await page(deps, tokens, viewer, { problem: error.message }), 400);
      }
    });
  },
};

function showOnce(reply: FastifyReply, flash: NewTokenFlash, viewer: Viewer, shown: NewTokenNotice) {
  flash.put(reply, viewer, shown);
  return reply.redirect(PAT_PAGE_PATH, 303);
}

/**
 * One of the viewer's own personal tokens, by the id in the path. The page manages only the viewer's tokens, even
 * for an administrator (who uses the API or the token inspector for anyone else's): 404 otherwise.
 */
async function ownToken(deps: AccessTokenDeps, user: User, raw: string): Promise<AccessToken> {
  const id = /^\d{1,15}$/.test(raw) ? Number(raw) : NaN;
  const token = await findVisiblePersonalAccessToken(deps, user, id);
  if (token.user_id !== user.id || token.kind !== 'personal') throw notFound('Token');
  return token;
}

/** The token a revocation redirect names, when it is the viewer's and revoked (else no notice). */
async function revokedToken(deps: AccessTokenDeps, user: User, raw: string): Promise<AccessToken | null> {
  if (!raw) return null;
  const token = await ownToken(deps, user, raw).catch(() => null);
  return token?.revoked ? token : null;
}

async function page(
  deps: WebDeps,
  tokens: AccessTokenDeps,
  viewer: Viewer,
  state: { shown?: NewTokenNotice | null; done?: string | null; values?: TokenFormValues; problem?: string },
) {
  const { clock } = deps.context;
  const max = tokens.policy.maxLifetimeDays;
  const today = todayUtc(clock);
  const listing = await listPersonalAccessTokens(
    tokens,
    viewer.user,
    { userId: viewer.user.id },
    { limit: LISTED, offset: 0 },
  );
  const values = state.values ?? {
    name: '',
    scopes: [],
    expiresAt: addDays(today, Math.min(SUGGESTED_DAYS, max)),
  };
  const main: HtmlValue = html` <p>
      Personal access tokens authenticate you to the API, to git over HTTP and to the container registry,
      within the scopes you choose.
    </p>
    ${state.shown ? newTokenPanel(state.shown) : ''} ${state.done ? notice('success', state.done) : ''}
    ${state.problem ? notice('error', state.problem) : ''}
    ${tokenForm(viewer.csrfToken, values, {
      grantable: grantableScopes({ kind: 'person', isAdmin: viewer.user.is_admin === 1 }),
      minDate: addDays(today, 1),
      maxDate: addDays(today, max),
      maxLifetimeDays: max,
    })}
    <h2>Your tokens <span class="muted">(${listing.total})</span></h2>
    ${tokenTable(listing.tokens, clock, viewer.csrfToken)}`;
  return renderPage({
    title: 'Access tokens',
    viewer,
    nav: deps.nav,
    path: PAT_PAGE_PATH,
    docs: {
      label: 'Personal access tokens: creation, use and rotation',
      href: '/help/flows/personal-access-tokens',
    },
    main,
  });
}
