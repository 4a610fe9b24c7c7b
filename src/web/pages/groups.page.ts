import { TesseraError } from '../../errors/tessera-error.ts';
import { createGroup } from '../../identity/group.service.ts';
import { membershipScope } from '../../identity/visibility-scope.ts';
import { countAccessibleGroups, listAccessibleGroups } from '../../store/namespaces.repository.ts';
import type { Namespace, Visibility } from '../../store/schema.ts';
import { html, type SafeHtml } from '../html.ts';
import { notice, renderPage } from '../layout.ts';
import { sendHtml } from '../send-html.ts';
import { fieldProblem } from '../token-forms.ts';
import type { WebDeps, WebPage } from '../web-page.ts';
import { formFields, queryText, requireViewer, textField, type Viewer } from '../web-request.ts';
import { namespaceSelect, visibilityOf, visibilityRadios } from './namespace-forms.ts';
import { pager, pageNumber } from './pager.ts';

const PATH = '/dashboard/groups';
const PER_PAGE = 50;
/** The parent choices: a person in more groups than this types a subgroup through the API. */
const PARENTS = 200;
const LABELS: Record<string, string> = {
  name: 'Group name',
  path: 'Group URL',
  parent_id: 'Parent group',
  visibility_level: 'Visibility',
};

interface GroupValues {
  name: string;
  path: string;
  parentId: string;
  visibility: Visibility;
}

/** Your work → Groups: the groups you are a member of, and a form to make one (or a subgroup). */
export const groupsPage: WebPage = {
  nav: { section: 'work', label: 'Groups', path: PATH },
  routes(app, deps) {
    const { context } = deps;
    app.get(PATH, async (request, reply) => {
      const viewer = requireViewer(request, context);
      const page = pageNumber(queryText(request, 'page'));
      const created = queryText(request, 'created');
      return sendHtml(reply, await render(deps, viewer, page, { created }));
    });

    app.post(PATH, async (request, reply) => {
      const viewer = requireViewer(request, context);
      const fields = formFields(request);
      const values: GroupValues = {
        name: textField(fields, 'name'),
        path: textField(fields, 'path'),
        parentId: textField(fields, 'namespace_id'),
        visibility: visibilityOf(textField(fields, 'visibility')) ?? 'private',
      };
      try {
        const parentId = /^\d{1,15}$/.test(values.parentId) ? Number(values.parentId) : null;
        const group = await createGroup(
          context.db,
          context.clock,
          { user: viewer.user, ip: request.ip ?? null },
          { name: values.name, path: values.path, parentId, visibility: values.visibility },
        );
        return reply.redirect(`${PATH}?created=${encodeURIComponent(group.full_path)}`, 303);
      } catch (error) {
        if (
          !(error instanceof TesseraError) ||
          !['bad_request', 'forbidden', 'not_found'].includes(error.code)
        )
          throw error;
        const problem =
          error.code === 'forbidden' ? 'You may not create a group there.' : fieldProblem(error, LABELS);
        return sendHtml(reply, await render(deps, viewer, 1, { values, problem }), error.status);
      }
    });
  },
};

async function render(
  { context, nav }: WebDeps,
  viewer: Viewer,
  page: number,
  state: { created?: string; values?: GroupValues; problem?: string },
): Promise<SafeHtml> {
  const scope = await membershipScope(context.db, viewer.user);
  const query = scope.groups ? { access: scope.groups } : {};
  const [groups, total, parents] = await Promise.all([
    listAccessibleGroups(context.db, { ...query, limit: PER_PAGE, offset: (page - 1) * PER_PAGE }),
    countAccessibleGroups(context.db, query),
    listAccessibleGroups(context.db, { ...query, limit: PARENTS, offset: 0 }),
  ]);
  const values = state.values ?? { name: '', path: '', parentId: '', visibility: 'private' };
  const main = html`${state.created ? notice('success', html`Group <code>${state.created}</code> created.`) : ''}
    ${state.problem ? notice('error', state.problem) : ''}
    <p>Groups you are a member of, directly or through a parent group.</p>
    ${
      groups.length === 0
        ? html`<p class="muted">You are not a member of any group yet.</p>`
        : html`<div class="table-wrap">
            <table data-testid="groups-table">
              <thead>
                <tr>
                  <th scope="col">Group</th>
                  <th scope="col">Name</th>
                  <th scope="col">Visibility</th>
                </tr>
              </thead>
              <tbody>
                ${groups.map(
                  (group: Namespace) =>
                    html`<tr>
                      <td><code>${group.full_path}</code></td>
                      <td>${group.name}</td>
                      <td>${group.visibility}</td>
                    </tr>`,
                )}
              </tbody>
            </table>
          </div>`
    }
    ${pager(PATH, {}, page, page * PER_PAGE < total)}
    <form method="post" action="${PATH}" class="panel" aria-labelledby="new-group-heading">
      <h2 id="new-group-heading">New group</h2>
      <input type="hidden" name="authenticity_token" value="${viewer.csrfToken}" />
      <label for="group_name">Group name</label>
      <input type="text" id="group_name" name="name" required maxlength="255" value="${values.name}" />
      <label for="group_path"
        >Group URL <span class="hint">(letters, digits, <code>_ - .</code>)</span></label
      >
      <input type="text" id="group_path" name="path" required maxlength="255" value="${values.path}" />
      ${namespaceSelect(
        'group_parent',
        'Parent group',
        { value: '', label: '(none: a top-level group)' },
        parents,
        values.parentId,
      )}
      ${visibilityRadios('group_visibility_', values.visibility)}
      <button type="submit" class="primary">Create group</button>
    </form>`;
  return renderPage({ title: 'Groups', viewer, nav, path: PATH, main });
}
