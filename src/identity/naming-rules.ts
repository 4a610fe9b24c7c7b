import { badRequest } from '../errors/tessera-error.ts';

/*
 * The platform's rules for usernames, group and project paths, names and emails, so a client gets
 * the same refusals it would get from GitLab and every path is safe in a URL.
 */

const PATH_PATTERN = /^[A-Za-z0-9_](?:[A-Za-z0-9_.-]*[A-Za-z0-9_-])?$/;
const MAX_PATH_LENGTH = 255;
const MAX_NAME_LENGTH = 255;
const MAX_EMAIL_LENGTH = 254;
const EMAIL_PATTERN = /^[^@\s]+@[^@\s]+$/;
// eslint-disable-next-line no-control-regex
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f]/;

/** First path segments the HTTP surface uses itself: a user or top-level group there would be unreachable. */
const RESERVED_TOP_LEVEL = new Set(
  '- admin api assets dashboard explore files groups health_check help import jwt login oauth profile projects public s search snippets uploads users v2'.split(
    ' ',
  ),
);

/** Throws a 400 naming `field` unless `value` is a valid path (a username, group or project path). */
export function assertValidPath(field: string, value: string, options: { topLevel: boolean }): void {
  if (value.length === 0) throw badRequest(field, "can't be blank");
  if (value.length > MAX_PATH_LENGTH)
    throw badRequest(field, `is too long (maximum is ${MAX_PATH_LENGTH} characters)`);
  if (!PATH_PATTERN.test(value) || /\.(git|atom)$/i.test(value)) {
    throw badRequest(
      field,
      "can contain only letters, digits, '_', '-' and '.'. Cannot start with '-' or '.', or end in '.', '.git' or '.atom'.",
    );
  }
  if (options.topLevel && RESERVED_TOP_LEVEL.has(value.toLowerCase()))
    throw badRequest(field, `${value} is a reserved name`);
}

/** Throws a 400 naming `field` unless `value` is a usable display name; returns it trimmed. */
export function validName(field: string, value: string): string {
  const trimmed = value.trim();
  if (trimmed.length === 0) throw badRequest(field, "can't be blank");
  if (trimmed.length > MAX_NAME_LENGTH)
    throw badRequest(field, `is too long (maximum is ${MAX_NAME_LENGTH} characters)`);
  if (CONTROL_CHARACTERS.test(trimmed)) throw badRequest(field, 'contains invalid characters');
  return trimmed;
}

/** Throws a 400 unless `value` looks like an email address; returns it trimmed. */
export function validEmail(value: string): string {
  const trimmed = value.trim();
  if (trimmed.length === 0) throw badRequest('email', "can't be blank");
  if (trimmed.length > MAX_EMAIL_LENGTH || !EMAIL_PATTERN.test(trimmed))
    throw badRequest('email', 'is invalid');
  return trimmed;
}

/** The path GitLab derives from a name: `"My Project!"` → `my-project`. */
export function pathFromName(name: string): string {
  return name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9_.-]+/g, '-')
    .replace(/^[-.]+|[-.]+$/g, '')
    .slice(0, MAX_PATH_LENGTH);
}
