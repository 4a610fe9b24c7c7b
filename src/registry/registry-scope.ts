/** The actions a registry token can grant on a repository. */
export const REGISTRY_ACTIONS = ['pull', 'push', 'delete', '*'] as const;
export type RegistryAction = (typeof REGISTRY_ACTIONS)[number];

/** One requested `type:name:actions` scope of the Docker token authentication spec. */
export interface RegistryScope {
  /** `repository`, `registry`, or anything else a client sends (which is granted nothing). */
  type: string;
  name: string;
  /** Known actions only, each once, in the order asked. */
  actions: RegistryAction[];
}

/** Longest scope string considered; a repository name is at most 255 characters. */
export const MAX_SCOPE_LENGTH = 512;
/** Most scopes one request may ask for; more is refused as a whole (a 400), not truncated. */
export const MAX_SCOPES = 32;
/** distribution's limit on a repository name. */
const MAX_NAME_LENGTH = 255;

const TYPE = /^[a-z0-9]+(?:\([a-z0-9]+\))?$/;
// One path component of a repository name. distribution writes the separator as `[-]*`; `-+` accepts
// the same names without the nested-quantifier backtracking a hostile name could exploit.
const COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;

/** True for a repository name the registry would accept: lowercase components joined by `/`. */
export function isRepositoryName(name: string): boolean {
  if (name.length === 0 || name.length > MAX_NAME_LENGTH) return false;
  return name.split('/').every((component) => COMPONENT.test(component));
}

/**
 * Parses one scope string. The name is what lies between the first and the last `:` (the spec allows
 * a `host:port/` in it). Unknown actions are dropped; a string that is not a scope at all is null.
 * Pure and total: any input gives a scope or null, never an exception.
 *
 * @example
 * parseRegistryScope('repository:group/app:pull,push') // { type: 'repository', name: 'group/app', actions: ['pull', 'push'] }
 * parseRegistryScope('repository:group/app')           // null (no actions part)
 */
export function parseRegistryScope(raw: string): RegistryScope | null {
  if (raw.length === 0 || raw.length > MAX_SCOPE_LENGTH) return null;
  const first = raw.indexOf(':');
  const last = raw.lastIndexOf(':');
  if (first <= 0 || last === first) return null;
  const type = raw.slice(0, first);
  const name = raw.slice(first + 1, last);
  if (!TYPE.test(type) || name.length === 0) return null;
  const actions: RegistryAction[] = [];
  for (const action of raw.slice(last + 1).split(',')) {
    const known = REGISTRY_ACTIONS.find((a) => a === action.trim());
    if (known && !actions.includes(known)) actions.push(known);
  }
  return { type, name, actions };
}

/** Why a request's scopes cannot be read at all. */
export class TooManyScopesError extends Error {
  constructor() {
    super(`at most ${MAX_SCOPES} scopes may be requested at once`);
    this.name = 'TooManyScopesError';
  }
}

/**
 * The scopes of a request's `scope` query parameter: repeated, or several in one value separated by
 * spaces (both occur in the wild). Values that are not scopes are skipped, as the spec asks.
 */
export function parseRegistryScopes(param: unknown): RegistryScope[] {
  const values = param === undefined ? [] : Array.isArray(param) ? param : [param];
  const raw = values
    .filter((value): value is string => typeof value === 'string')
    .flatMap((value) => value.split(' '))
    .filter((value) => value.length > 0);
  if (raw.length > MAX_SCOPES) throw new TooManyScopesError();
  return raw.map(parseRegistryScope).filter((scope): scope is RegistryScope => scope !== null);
}
