import type { FastifyRequest } from 'fastify';
import { TesseraError } from '../../errors/tessera-error.ts';
import { generatePassword } from '../../identity/password.ts';
import { createUser } from '../../identity/user.service.ts';
import { countUsersMatching, listUsers } from '../../store/users.repository.ts';
import { badge, timeTag } from '../format.ts';
import { html, type SafeHtml } from '../html.ts';
import { notice, renderPage } from '../layout.ts';
import { sendHtml } from '../send-html.ts';
import { fieldProblem } from '../token-forms.ts';
import type { WebDeps, WebPage } from '../web-page.ts';
import {
  formFields,
  queryText,
  requireAdminViewer,
  textField,
  webActor,
  type Viewer,
} from '../web-request.ts';
import { passwordFlash } from './admin-user.page.ts';
import { pager, pageNumber } from './pager.ts';

const PATH = '/admin/users';
const PER_PAGE = 50;

/** Admin → Users: every person and bot, searchable by username, name or email. */
export const adminUsersPage: WebPage = {
  nav: { section: 'admin', label: 'Users', path: PATH },
  routes(app, deps) {
    const { context } = deps;
    const passwords = passwordFlash(context);

    app.get(PATH, async (request, reply) => {
      const viewer = requireAdminViewer(request, context);
      return sendHtml(reply, await listPage(deps, request, viewer, {}));
    });

    app.post(PATH, async (request, reply) => {
      const viewer = requireAdminViewer(request, context);
      const fields = formFields(request);
      const values: NewUserValues = {
        username: textField(fields, 'username'),
        email: textField(fields, 'email'),
        name: textField(fields, 'name'),
        admin: textField(fields, 'admin') === '1',
      };
      // A password typed here is not trimmed: spaces may be part of it.
      const typed = typeof fields.password === 'string' ? fields.password : '';
      const password = typed === '' ? generatePassword() : typed;
      try {
        const user = await createUser(context.db, context.clock, webActor(request, viewer), {
          username: values.username,
          email: values.email,
          ...(values.name ? { name: values.name } : {}),
          password,
          admin: values.admin,
        });
        if (typed === '')
          passwords.put(reply, viewer, {
            action: 'created',
            tokenId: user.id,
            tokenName: user.username,
            plaintext: password,
          });
        return reply.redirect(`${PATH}/${user.id}?created=1`, 303);
      } catch (error) {
        if (!(error instanceof TesseraError) || !['bad_request', 'conflict'].includes(error.code))
          throw error;
        const problem = fieldProblem(error, FIELD_LABELS);
        return sendHtml(reply, await listPage(deps, request, viewer, { values, problem }), error.status);
      }
    });
  },
};

const FIELD_LABELS: Record<string, string> = {
  username: 'Username',
  email: 'Email',
  name: 'Name',
  password: 'Password',
};

interface NewUserValues {
  username: string;
  email: string;
  name: string;
  admin: boolean;
}

async function listPage(
  { context, nav }: WebDeps,
  request: FastifyRequest,
  viewer: Viewer,
  state: { values?: NewUserValues; problem?: string },
): Promise<SafeHtml> {
  const search = queryText(request, 'search').slice(0, 100);
  const page = pageNumber(queryText(request, 'page'));
  const filter = { includeBots: true, searchEmails: true, ...(search ? { search } : {}) };
  const [users, total] = await Promise.all([
    listUsers(context.db, { ...filter, limit: PER_PAGE, offset: (page - 1) * PER_PAGE }),
    countUsersMatching(context.db, filter),
  ]);
  const main = html`<form method="get" action="${PATH}" class="filters" role="search">
      <div>
        <label for="user_search">Search users</label>
        <input
          type="search"
          id="user_search"
          name="search"
          value="${search}"
          placeholder="username, name or email"
        />
      </div>
      <div><button type="submit">Search</button></div>
    </form>
    <p class="muted">${total} user${total === 1 ? '' : 's'}</p>
    <div class="table-wrap">
      <table data-testid="users-table">
        <thead>
          <tr>
            <th scope="col">Username</th>
            <th scope="col">Name</th>
            <th scope="col">Email</th>
            <th scope="col">Role</th>
            <th scope="col">State</th>
            <th scope="col">Created</th>
          </tr>
        </thead>
        <tbody>
          ${users.map(
            (user) =>
              html`<tr>
                <td><a href="${PATH}/${user.id}">${user.username}</a></td>
                <td>${user.name}</td>
                <td>${user.email}</td>
                <td>
                  ${user.is_admin ? 'Administrator' : user.bot_kind ? user.bot_kind.replace('_', ' ') : 'Regular'}
                </td>
                <td>${badge(user.state, user.state === 'active' ? 'active' : 'revoked')}</td>
                <td>${timeTag(user.created_at)}</td>
              </tr>`,
          )}
        </tbody>
      </table>
    </div>
    ${pager(PATH, { search }, page, page * PER_PAGE < total)}`;
  return renderPage({
    title: 'Users',
    viewer,
    nav,
    path: PATH,
    main: html`${state.problem ? notice('error', state.problem) : ''} ${main}
    ${newUserForm(viewer.csrfToken, state.values ?? { username: '', email: '', name: '', admin: false })}`,
  });
}

function newUserForm(csrfToken: string, values: NewUserValues): SafeHtml {
  return html`<form method="post" action="${PATH}" class="panel" aria-labelledby="new-user-heading">
    <h2 id="new-user-heading">New user</h2>
    <input type="hidden" name="authenticity_token" value="${csrfToken}" />
    <label for="new_user_username">Username</label>
    <input
      type="text"
      id="new_user_username"
      name="username"
      required
      maxlength="255"
      value="${values.username}"
    />
    <label for="new_user_email">Email</label>
    <input type="email" id="new_user_email" name="email" required maxlength="255" value="${values.email}" />
    <label for="new_user_name">Name <span class="hint">(empty: the username)</span></label>
    <input type="text" id="new_user_name" name="name" maxlength="255" value="${values.name}" />
    <label for="new_user_password"
      >Password <span class="hint">(empty: one is generated and shown to you once)</span></label
    >
    <input type="password" id="new_user_password" name="password" autocomplete="new-password" />
    <div class="checkbox">
      <input
        type="checkbox"
        id="new_user_admin"
        name="admin"
        value="1"
        ${values.admin ? html` checked` : ''}
      />
      <label for="new_user_admin">Administrator</label>
    </div>
    <button type="submit" class="primary">Create user</button>
  </form>`;
}
