import type { FastifyRequest } from 'fastify';
import { TesseraError, notFound } from '../../errors/tessera-error.ts';
import { generatePassword } from '../../identity/password.ts';
import { changeUserAccess } from '../../identity/user-access.service.ts';
import { setPassword } from '../../identity/user.service.ts';
import type { InstanceContext } from '../../runtime/instance-context.ts';
import type { AccessToken, User } from '../../store/schema.ts';
import { findUserById } from '../../store/users.repository.ts';
import { accessTokenDeps, type AccessTokenDeps } from '../../tokens/access/access-token-deps.ts';
import { addDays, todayUtc } from '../../tokens/access/access-token-expiry.ts';
import {
  createImpersonationToken,
  listImpersonationTokens,
  revokeImpersonationToken,
} from '../../tokens/access/impersonation-token.service.ts';
import { ACCESS_TOKEN_SCOPES, grantableScopes } from '../../tokens/access/scopes.ts';
import { badge, timeTag } from '../format.ts';
import { html, type SafeHtml } from '../html.ts';
import { notice, renderPage } from '../layout.ts';
import { NewTokenFlash, type NewTokenNotice } from '../new-token-flash.ts';
import { sendHtml } from '../send-html.ts';
import { fieldProblem, oneTimeSecretField, scopeCheckboxes } from '../token-forms.ts';
import { accessTokenTable } from './personal-access-tokens.view.ts';
import type { WebDeps, WebPage } from '../web-page.ts';
import {
  formFields,
  listField,
  queryText,
  requireAdminViewer,
  textField,
  webActor,
  type Viewer,
} from '../web-request.ts';

const USERS_PATH = '/admin/users';
const userPath = (user: Pick<User, 'id'>) => `${USERS_PATH}/${user.id}`;
const FIELD_LABELS: Record<string, string> = {
  name: 'Token name',
  scopes: 'Scopes',
  expires_at: 'Expiration date',
};
const LISTED = 100;

type UserParams = { Params: { id: string } };

/** What a finished action on the page says, by the `done` query value (fixed texts only). */
const DONE: Record<string, string> = {
  created: 'The user was created.',
  block: 'The user is blocked: their sessions ended and none of their credentials work.',
  unblock: 'The user is unblocked.',
  password: 'The password was changed; the user’s sessions ended.',
};

/**
 * Carries a password an administrator set or generated to the user's page, once (the same sealed,
 * session-bound cookie as a new token, under a name of its own).
 */
export function passwordFlash(context: InstanceContext): NewTokenFlash {
  return new NewTokenFlash(
    context.secrets.box,
    context.clock,
    context.settings,
    USERS_PATH,
    '_tessera_new_password',
  );
}
type TokenParams = { Params: { id: string; token_id: string } };

interface FormValues {
  name: string;
  scopes: readonly string[];
  expiresAt: string;
}

/**
 * Admin → Users → one user: who they are, and the impersonation tokens administrators hold in their
 * name (create, with the secret shown once; revoke). The forms call the same services as the API.
 */
export const adminUserPage: WebPage = {
  routes(app, deps) {
    const { context } = deps;
    const tokens = accessTokenDeps(context);
    const flash = new NewTokenFlash(
      context.secrets.box,
      context.clock,
      context.settings,
      USERS_PATH,
      '_tessera_new_impersonation_token',
    );

    const userOf = async (request: FastifyRequest, raw: string): Promise<{ viewer: Viewer; user: User }> => {
      const viewer = requireAdminViewer(request, context);
      const user = /^\d{1,15}$/.test(raw) ? await findUserById(context.db, Number(raw)) : undefined;
      if (!user) throw notFound('User');
      return { viewer, user };
    };

    const passwords = passwordFlash(context);

    app.get<UserParams>(`${USERS_PATH}/:id`, async (request, reply) => {
      const { viewer, user } = await userOf(request, request.params.id);
      const shown = flash.take(request, reply, viewer);
      const password = passwords.take(request, reply, viewer);
      const done = queryText(request, 'revoked')
        ? 'The impersonation token was revoked.'
        : (DONE[queryText(request, 'done')] ?? (queryText(request, 'created') ? DONE.created! : null));
      return sendHtml(
        reply,
        await page(deps, tokens, viewer, user, {
          shown,
          done,
          password: password?.tokenId === user.id ? password : null,
        }),
      );
    });

    for (const change of ['block', 'unblock'] as const)
      app.post<UserParams>(`${USERS_PATH}/:id/${change}`, async (request, reply) => {
        const { viewer, user } = await userOf(request, request.params.id);
        try {
          await changeUserAccess(context, webActor(request, viewer), viewer.user, user.id, change);
        } catch (error) {
          if (!(error instanceof TesseraError) || error.code !== 'forbidden') throw error;
          return sendHtml(reply, await page(deps, tokens, viewer, user, { problem: error.message }), 403);
        }
        return reply.redirect(`${userPath(user)}?done=${change}`, 303);
      });

    app.post<UserParams>(`${USERS_PATH}/:id/password`, async (request, reply) => {
      const { viewer, user } = await userOf(request, request.params.id);
      const fields = formFields(request);
      const typed = typeof fields.password === 'string' ? fields.password : '';
      const password = typed === '' ? generatePassword() : typed;
      try {
        await setPassword(context.db, context.clock, webActor(request, viewer), user.id, password);
      } catch (error) {
        if (!(error instanceof TesseraError) || error.code !== 'bad_request') throw error;
        const problem = fieldProblem(error, { password: 'Password' });
        return sendHtml(reply, await page(deps, tokens, viewer, user, { problem }), error.status);
      }
      if (typed === '')
        passwords.put(reply, viewer, {
          action: 'rotated',
          tokenId: user.id,
          tokenName: user.username,
          plaintext: password,
        });
      return reply.redirect(`${userPath(user)}?done=password`, 303);
    });

    app.post<UserParams>(`${USERS_PATH}/:id/impersonation_tokens`, async (request, reply) => {
      const { viewer, user } = await userOf(request, request.params.id);
      const fields = formFields(request);
      const values: FormValues = {
        name: textField(fields, 'name'),
        scopes: listField(fields, 'scopes'),
        expiresAt: textField(fields, 'expires_at'),
      };
      try {
        const issued = await createImpersonationToken(
          tokens,
          webActor(request, viewer),
          viewer.user,
          user.id,
          values,
        );
        flash.put(reply, viewer, {
          action: 'created',
          tokenId: issued.token.id,
          tokenName: issued.token.name,
          plaintext: issued.plaintext,
        });
        return reply.redirect(userPath(user), 303);
      } catch (error) {
        if (!(error instanceof TesseraError) || !['bad_request', 'forbidden'].includes(error.code))
          throw error;
        const problem = fieldProblem(error, FIELD_LABELS);
        return sendHtml(reply, await page(deps, tokens, viewer, user, { values, problem }), error.status);
      }
    });

    app.post<TokenParams>(
      `${USERS_PATH}/:id/impersonation_tokens/:token_id/revoke`,
      async (request, reply) => {
        const { viewer, user } = await userOf(request, request.params.id);
        const tokenId = /^\d{1,15}$/.test(request.params.token_id) ? Number(request.params.token_id) : NaN;
        await revokeImpersonationToken(tokens, webActor(request, viewer), viewer.user, user.id, tokenId);
        return reply.redirect(`${userPath(user)}?revoked=${tokenId}`, 303);
      },
    );
  },
};

async function page(
  deps: WebDeps,
  tokens: AccessTokenDeps,
  viewer: Viewer,
  user: User,
  state: {
    shown?: NewTokenNotice | null;
    password?: NewTokenNotice | null;
    done?: string | null;
    values?: FormValues;
    problem?: string;
  },
) {
  const { clock } = deps.context;
  const today = todayUtc(clock);
  const max = tokens.policy.maxLifetimeDays;
  const enabled = tokens.policy.impersonationEnabled;
  const listing = enabled
    ? await listImpersonationTokens(tokens, viewer.user, user.id, 'all', { limit: LISTED, offset: 0 })
    : { tokens: [], total: 0 };
  const values = state.values ?? { name: '', scopes: [], expiresAt: '' };
  const role = user.is_admin ? 'Administrator' : user.bot_kind ? user.bot_kind.replace('_', ' ') : 'Regular';
  const main = html`<dl class="facts" data-testid="user-facts">
      <dt>Username</dt>
      <dd>${user.username}</dd>
      <dt>Name</dt>
      <dd>${user.name}</dd>
      <dt>Email</dt>
      <dd>${user.email}</dd>
      <dt>Role</dt>
      <dd>${role}</dd>
      <dt>State</dt>
      <dd>${badge(user.state, user.state === 'active' ? 'active' : 'revoked')}</dd>
      <dt>Created</dt>
      <dd>${timeTag(user.created_at)}</dd>
    </dl>
    ${state.password ? newPasswordPanel(state.password, user) : ''}
    ${state.done && !state.shown ? notice('success', state.done) : ''}
    ${state.problem && !state.values ? notice('error', state.problem) : ''}
    ${user.bot_kind === null ? accountForms(viewer, user) : ''}
    <h2>Impersonation tokens <span class="muted">(${listing.total})</span></h2>
    <p>
      An impersonation token acts as ${user.username} through the API, git and the registry, within its
      scopes. ${user.username} does not see it; the audit log names you as its maker.
    </p>
    ${state.shown ? newTokenPanel(state.shown, user) : ''}
    ${state.done && state.shown ? notice('success', state.done) : ''}
    ${state.problem && state.values ? notice('error', state.problem) : ''}
    ${
      enabled
        ? html`${tokenForm(viewer.csrfToken, user, values, {
            grantable: grantableScopes({ kind: 'person', isAdmin: user.is_admin === 1 }),
            minDate: addDays(today, 1),
            maxDate: addDays(today, max),
          })}
          ${accessTokenTable(listing.tokens, deps.context.clock, {
            testId: 'impersonation-tokens',
            empty: 'No impersonation tokens.',
            actions: (token) => revokeForm(token, user, viewer.csrfToken),
          })}`
        : notice(
            'warning',
            'Impersonation is disabled on this instance (TESSERA_IMPERSONATION_ENABLED=false).',
          )
    }`;
  return renderPage({ title: `User ${user.username}`, viewer, nav: deps.nav, path: USERS_PATH, main });
}

function newTokenPanel(shown: NewTokenNotice, user: User): SafeHtml {
  return html`<section class="panel notice success" role="status" aria-labelledby="new-token-heading">
    <h2 id="new-token-heading">New impersonation token for ${user.username}</h2>
    ${oneTimeSecretField('New impersonation token', shown.plaintext)}
    <p class="notice warning">
      <strong>Make sure you save it now — you won't be able to see it again.</strong> Anyone holding it acts
      as ${user.username}.
    </p>
  </section>`;
}

function tokenForm(
  csrfToken: string,
  user: User,
  values: FormValues,
  limits: { grantable: readonly (keyof typeof ACCESS_TOKEN_SCOPES)[]; minDate: string; maxDate: string },
): SafeHtml {
  return html`<form
    method="post"
    action="${userPath(user)}/impersonation_tokens"
    class="panel"
    aria-labelledby="create-heading"
  >
    <h2 id="create-heading">Add an impersonation token</h2>
    <input type="hidden" name="authenticity_token" value="${csrfToken}" />
    <label for="token_name">Token name</label>
    <input type="text" id="token_name" name="name" maxlength="255" required value="${values.name}" />
    <label for="token_expires_at"
      >Expiration date <span class="hint">(empty: the longest the policy allows)</span></label
    >
    <input
      type="date"
      id="token_expires_at"
      name="expires_at"
      min="${limits.minDate}"
      max="${limits.maxDate}"
      value="${values.expiresAt}"
    />
    <fieldset>
      <legend>Scopes</legend>
      ${scopeCheckboxes(limits.grantable, values.scopes, (scope) => ACCESS_TOKEN_SCOPES[scope].description, 'scope_')}
    </fieldset>
    <button type="submit" class="primary">Create impersonation token</button>
  </form>`;
}

function revokeForm(token: AccessToken, user: User, csrfToken: string): SafeHtml {
  return html`<form
    method="post"
    action="${userPath(user)}/impersonation_tokens/${token.id}/revoke"
    data-confirm="Revoke “${token.name}”? Anything using it stops working at once."
  >
    <input type="hidden" name="authenticity_token" value="${csrfToken}" />
    <button type="submit" class="danger" aria-label="Revoke ${token.name}">Revoke</button>
  </form>`;
}

function newPasswordPanel(shown: NewTokenNotice, user: User): SafeHtml {
  return html`<section class="panel notice success" role="status" aria-labelledby="new-password-heading">
    <h2 id="new-password-heading">Password for ${user.username}</h2>
    ${oneTimeSecretField(`Password for ${user.username}`, shown.plaintext)}
    <p class="notice warning">
      <strong>Hand it over now — you won't be able to see it again.</strong>
    </p>
  </section>`;
}

/** Block or unblock, and set a new password: the account's own controls. */
function accountForms(viewer: Viewer, user: User): SafeHtml {
  const self = user.id === viewer.user.id;
  const blockForm =
    user.state === 'blocked'
      ? html`<form method="post" action="${userPath(user)}/unblock">
          <input type="hidden" name="authenticity_token" value="${viewer.csrfToken}" />
          <button type="submit">Unblock user</button>
        </form>`
      : user.state === 'active' && !self
        ? html`<form
            method="post"
            action="${userPath(user)}/block"
            data-confirm="Block ${user.username}? Their sessions end and none of their credentials work until they are unblocked."
          >
            <input type="hidden" name="authenticity_token" value="${viewer.csrfToken}" />
            <button type="submit" class="danger">Block user</button>
          </form>`
        : '';
  return html`<section class="panel" aria-labelledby="account-heading">
    <h2 id="account-heading">Account</h2>
    ${blockForm}
    <form method="post" action="${userPath(user)}/password" aria-label="Reset password">
      <input type="hidden" name="authenticity_token" value="${viewer.csrfToken}" />
      <label for="reset_password"
        >New password <span class="hint">(empty: one is generated and shown to you once)</span></label
      >
      <input type="password" id="reset_password" name="password" autocomplete="new-password" />
      <p class="hint">Their sessions end; they sign in again with the new password.</p>
      <button type="submit">Reset password</button>
    </form>
  </section>`;
}
