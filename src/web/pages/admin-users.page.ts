import { countUsersMatching, listUsers } from '../../store/users.repository.ts';
import { badge, timeTag } from '../format.ts';
import { html } from '../html.ts';
import { renderPage } from '../layout.ts';
import { sendHtml } from '../send-html.ts';
import type { WebPage } from '../web-page.ts';
import { queryText, requireAdminViewer } from '../web-request.ts';
import { pager, pageNumber } from './pager.ts';

const PATH = '/admin/users';
const PER_PAGE = 50;

/** Admin → Users: every person and bot, searchable by username, name or email. */
export const adminUsersPage: WebPage = {
  nav: { section: 'admin', label: 'Users', path: PATH },
  routes(app, { context, nav }) {
    app.get(PATH, async (request, reply) => {
      const viewer = requireAdminViewer(request, context);
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
      return sendHtml(reply, renderPage({ title: 'Users', viewer, nav, path: PATH, main }));
    });
  },
};
