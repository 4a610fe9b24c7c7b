import type { FastifyRequest } from 'fastify';
import type { Actor } from '../audit/audit-log.ts';
import { notFound, unauthorized } from '../errors/tessera-error.ts';
import { csrfTokenFor } from '../identity/session.service.ts';
import type { InstanceContext } from '../runtime/instance-context.ts';
import type { User } from '../store/schema.ts';
import { SESSION_COOKIE } from '../http/session-authentication.ts';

/** Who is looking at a page, and the CSRF token their forms carry. */
export interface Viewer {
  user: User;
  csrfToken: string;
  /** The session's stored id (a digest): what one-time notices are bound to. */
  sessionId: string;
}

/**
 * The signed-in person, when the request came with a live session cookie. A token on a page request
 * does not count: pages change state with forms, and only session requests are CSRF-checked, so a
 * token (perhaps with a narrow scope) must not drive them.
 */
export function viewerOf(request: FastifyRequest, context: InstanceContext): Viewer | null {
  const principal = request.principal;
  const cookie = request.cookies[SESSION_COOKIE];
  if (!principal || principal.credential.kind !== 'session' || !cookie) return null;
  return {
    user: principal.user,
    csrfToken: csrfTokenFor(context.secrets.digester, cookie),
    sessionId: String(principal.credential.id),
  };
}

/** The signed-in person, or a 401 (which the web error handler turns into a trip to the sign-in page). */
export function requireViewer(request: FastifyRequest, context: InstanceContext): Viewer {
  const viewer = viewerOf(request, context);
  if (!viewer) throw unauthorized();
  return viewer;
}

/** An administrator; anyone else gets the 404 a missing page gets, so admin pages are not advertised. */
export function requireAdminViewer(request: FastifyRequest, context: InstanceContext): Viewer {
  const viewer = requireViewer(request, context);
  if (!viewer.user.is_admin) throw notFound('Page');
  return viewer;
}

/** The audit actor of a page request. */
export function webActor(request: FastifyRequest, viewer: Viewer): Actor {
  return { userId: viewer.user.id, name: viewer.user.username, ip: request.ip ?? null };
}

/** A form's fields (url-encoded bodies are parsed into an object; repeated names into arrays). */
export type FormFields = Record<string, unknown>;

export function formFields(request: FastifyRequest): FormFields {
  const body = request.body;
  return body !== null && typeof body === 'object' ? (body as FormFields) : {};
}

/** A text field, trimmed; '' when absent. A repeated field counts by its first value. */
export function textField(fields: FormFields, name: string): string {
  const value = Array.isArray(fields[name]) ? (fields[name] as unknown[])[0] : fields[name];
  return typeof value === 'string' ? value.trim() : '';
}

/** Every value of a repeated field (checkboxes). */
export function listField(fields: FormFields, name: string): string[] {
  const value = fields[name];
  const values = Array.isArray(value) ? value : [value];
  return values.filter((v): v is string => typeof v === 'string');
}

/** A query parameter as text; '' when absent. */
export function queryText(request: FastifyRequest, name: string): string {
  const value = (request.query as Record<string, unknown> | undefined)?.[name];
  return typeof value === 'string' ? value.trim() : '';
}
