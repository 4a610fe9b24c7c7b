import { badRequest } from '../../errors/tessera-error.ts';

/*
 * What a CI/CD variable may be, with GitLab's messages (Ci::HasVariable, Ci::Maskable), plus one rule
 * of Tessera's own: no variable may carry the name of a credential the platform hands every job.
 */

const KEY_ALPHABET = /^[a-zA-Z0-9_]+$/;
const KEY_MAX = 255;
const VALUE_MAX = 10_000;
const DESCRIPTION_MAX = 255;
const SCOPE_ALPHABET = /^[a-zA-Z0-9_\\/${}. *-]+$/;
/** GitLab's Ci::Maskable::REGEX: what a masked, expanded value may contain. */
const MASKABLE = /^[a-zA-Z0-9_+=/@:.~-]+$/;
/** A masked raw value only has to be one word (Ci::Maskable::MASK_AND_RAW_REGEX). */
const MASKABLE_RAW = /^\S+$/;
const MASK_MIN = 8;

/**
 * Variables that carry a credential Tessera gives the job itself. A user variable of that name would
 * replace the real credential in the job's environment (the platform lets it), so creating one is
 * refused; `CI_JOB_JWT`, `_V1`, `_V2` and any future `CI_JOB_JWT*` are covered by the prefix.
 */
const CREDENTIAL_KEYS = new Set(['CI_JOB_TOKEN', 'CI_REGISTRY_PASSWORD', 'CI_DEPLOY_PASSWORD']);
const CREDENTIAL_PREFIXES = ['CI_JOB_JWT'];

export function isCredentialKey(key: string): boolean {
  return CREDENTIAL_KEYS.has(key) || CREDENTIAL_PREFIXES.some((prefix) => key.startsWith(prefix));
}

/** Refuses a key GitLab refuses, and a credential's name. */
export function assertValidKey(key: string): void {
  if (key.length > KEY_MAX) throw badRequest('key', `is too long (maximum is ${KEY_MAX} characters)`);
  if (!KEY_ALPHABET.test(key)) throw badRequest('key', "can contain only letters, digits and '_'.");
  if (isCredentialKey(key)) {
    throw badRequest(
      'key',
      `(${key}) is reserved: it names a credential Tessera gives every job, and a variable cannot replace it`,
    );
  }
}

export function assertValidScope(scope: string): void {
  if (scope.length > KEY_MAX)
    throw badRequest('environment_scope', `is too long (maximum is ${KEY_MAX} characters)`);
  if (!SCOPE_ALPHABET.test(scope)) {
    throw badRequest(
      'environment_scope',
      "can contain only letters, digits, '-', '_', '/', '$', '{', '}', '.', '*' and spaces",
    );
  }
}

export function assertValidDescription(description: string | null): void {
  if (description !== null && description.length > DESCRIPTION_MAX)
    throw badRequest('description', `is too long (maximum is ${DESCRIPTION_MAX} characters)`);
}

/**
 * A value the variable may hold: at most 10,000 characters, and when masked one the runner can find
 * in a log: 8 characters or more, a single line, and (unless raw) only the characters GitLab masks.
 */
export function assertValidValue(value: string, flags: { masked: boolean; raw: boolean }): void {
  if (value.length > VALUE_MAX) throw badRequest('value', `is too long (maximum is ${VALUE_MAX} characters)`);
  if (!flags.masked) return;
  const problems = maskingProblems(value, flags.raw);
  if (problems.length > 0) throw badRequest('value', `is invalid: ${problems.join(' ')}`);
}

/** Why a value cannot be masked, in the words of GitLab's variable form; empty when it can. */
export function maskingProblems(value: string, raw: boolean): string[] {
  const problems: string[] = [];
  if (/\s/.test(value)) {
    problems.push(
      'This value cannot be masked because it contains the following characters: whitespace characters.',
    );
  } else if (!(raw ? MASKABLE_RAW : MASKABLE).test(value) && value.length > 0) {
    const bad = [...new Set([...value].filter((c) => !MASKABLE.test(c)))].join(', ');
    problems.push(`This value cannot be masked because it contains the following characters: ${bad}.`);
  }
  if (value.length < MASK_MIN) problems.push(`The value must have at least ${MASK_MIN} characters.`);
  return problems;
}

/**
 * Whether a job in `environment` (undefined: none) sees a variable of `scope`: `*` matches every job,
 * other scopes match the environment's name, with `*` as a wildcard.
 */
export function scopeMatches(scope: string, environment: string | undefined): boolean {
  if (scope === '*') return true;
  if (environment === undefined) return false;
  if (!scope.includes('*')) return scope === environment;
  const pattern = scope
    .split('*')
    .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${pattern}$`).test(environment);
}

/** How specific a matching scope is: an exact name beats a wildcard, which beats `*`. */
export function scopeSpecificity(scope: string): number {
  if (scope === '*') return 0;
  return scope.includes('*') ? 1 : 2;
}
