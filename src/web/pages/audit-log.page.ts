import { listAuditEvents, type AuditEventFilter } from '../../store/audit-events.repository.ts';
import { findUserByUsername } from '../../store/users.repository.ts';
import type { InstanceContext } from '../../runtime/instance-context.ts';
import { html } from '../html.ts';
import { notice, renderPage } from '../layout.ts';
import { sendHtml } from '../send-html.ts';
import type { WebPage } from '../web-page.ts';
import { queryText, requireAdminViewer } from '../web-request.ts';
import { AUDIT_FILTER_NAMES, auditFilterForm, auditTable, type AuditFilterValues } from './audit-log.view.ts';
import { pageNumber, pager } from './pager.ts';

export const AUDIT_LOG_PATH = '/admin/audit_logs';
const PER_PAGE = 25;

/**
 * Admin → Audit log: newest first, filtered by actor (username), target type, action and a time
 * range (UTC), a page at a time. The log only grows, so pages are not counted: one row beyond the
 * page says whether another follows.
 */
export const auditLogPage: WebPage = {
  nav: { section: 'admin', label: 'Audit log', path: AUDIT_LOG_PATH },
  routes(app, { context, nav }) {
    app.get(AUDIT_LOG_PATH, async (request, reply) => {
      const viewer = requireAdminViewer(request, context);
      const values = Object.fromEntries(
        AUDIT_FILTER_NAMES.map((name) => [name, queryText(request, name).slice(0, 200)]),
      ) as unknown as AuditFilterValues;
      const page = pageNumber(queryText(request, 'page'));
      const { filter, problems } = await parseFilter(context, values);
      const rows = filter
        ? await listAuditEvents(context.db, { ...filter, limit: PER_PAGE + 1, offset: (page - 1) * PER_PAGE })
        : [];
      const main = html`${problems.map((problem) => notice('error', problem))}
      ${auditFilterForm(AUDIT_LOG_PATH, values)} ${auditTable(rows.slice(0, PER_PAGE))}
      ${pager(AUDIT_LOG_PATH, values, page, rows.length > PER_PAGE)}`;
      return sendHtml(
        reply,
        renderPage({
          title: 'Audit log',
          viewer,
          nav,
          path: AUDIT_LOG_PATH,
          docs: { label: 'Security model: what is audited', href: '/help/security' },
          main,
        }),
        problems.length > 0 ? 400 : 200,
      );
    });
  },
};

/** The repository filter, or null with the reasons when a field cannot be understood. */
async function parseFilter(
  context: InstanceContext,
  values: AuditFilterValues,
): Promise<{ filter: Omit<AuditEventFilter, 'limit' | 'offset'> | null; problems: string[] }> {
  const problems: string[] = [];
  const filter: Omit<AuditEventFilter, 'limit' | 'offset'> = {};
  if (values.actor) {
    const user = await findUserByUsername(context.db, values.actor);
    if (user) filter.authorId = user.id;
    else problems.push(`Actor: no user is named “${values.actor}”.`);
  }
  if (values.target_type) filter.targetType = values.target_type;
  if (values.action) filter.action = values.action;
  for (const [name, key, label] of [
    ['created_after', 'createdAfter', 'From'],
    ['created_before', 'createdBefore', 'To'],
  ] as const) {
    if (!values[name]) continue;
    const iso = utcInstant(values[name], name === 'created_before');
    if (iso) filter[key] = iso;
    else problems.push(`${label}: expected a date and time such as 2026-03-01T12:00 (UTC).`);
  }
  return { filter: problems.length > 0 ? null : filter, problems };
}

/**
 * A `datetime-local` value read as UTC. The end of a range covers its whole minute, so "to 12:00"
 * includes an event at 12:00:30.
 */
function utcInstant(value: string, endOfMinute: boolean): string | null {
  const match = /^(\d{4}-\d{2}-\d{2})(?:T(\d{2}:\d{2})(?::(\d{2}))?)?$/.exec(value);
  if (!match) return null;
  const [, date, time = endOfMinute ? '23:59' : '00:00', seconds] = match;
  const at = Date.parse(`${date}T${time}:${seconds ?? (endOfMinute ? '59.999' : '00')}Z`);
  return Number.isNaN(at) ? null : new Date(at).toISOString();
}
