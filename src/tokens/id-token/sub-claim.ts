import type { IdTokenClaims } from './id-token-claims.ts';

/** The claim keys a project may build its `sub` from. */
export const SUB_CLAIM_KEYS = [
  'project_id',
  'project_path',
  'job_project_path',
  'namespace_id',
  'namespace_path',
  'ref_type',
  'ref',
  'ref_protected',
  'environment',
  'environment_protected',
  'deployment_tier',
  'pipeline_source',
  'user_login',
] as const;

export type SubClaimKey = (typeof SUB_CLAIM_KEYS)[number];

/** Keys that pin the project: a trust policy matching `sub` must always learn which project it is. */
export const PROJECT_IDENTIFYING_KEYS: readonly SubClaimKey[] = [
  'project_id',
  'project_path',
  'job_project_path',
];

/** The platform's default: `project_path:{path}:ref_type:{type}:ref:{ref}`. */
export const DEFAULT_SUB_CLAIM_COMPONENTS: readonly SubClaimKey[] = ['project_path', 'ref_type', 'ref'];

/**
 * The `sub` of an ID token: `key:value` pairs joined by `:`, in the project's order. A claim the job
 * does not have (an environment for a job without one) is an empty value, so the shape stays stable.
 *
 * @example
 * subjectFor(claims, ['project_path', 'ref_type', 'ref']); // 'project_path:grp/app:ref_type:branch:ref:main'
 */
export function subjectFor(
  claims: IdTokenClaims,
  components: readonly SubClaimKey[] = DEFAULT_SUB_CLAIM_COMPONENTS,
): string {
  return components
    .map((key) => {
      const source = key === 'job_project_path' ? 'project_path' : key;
      const value = claims[source];
      return `${key}:${value === undefined ? '' : String(value)}`;
    })
    .join(':');
}

/**
 * Checks a project's chosen `sub` components: a non-empty list of known keys, no repeats, the first
 * identifying the project. Returns the list, or the problem in words.
 */
export function validateSubClaimComponents(value: unknown): readonly SubClaimKey[] | string {
  if (!Array.isArray(value) || value.length === 0) return 'must be a non-empty list of claim keys';
  const unknown = value.filter((key) => !(SUB_CLAIM_KEYS as readonly unknown[]).includes(key));
  if (unknown.length > 0) {
    return `contains unknown keys: ${unknown.map(String).join(', ')} (allowed: ${SUB_CLAIM_KEYS.join(', ')})`;
  }
  if (new Set(value).size !== value.length) return 'must not repeat a key';
  if (!PROJECT_IDENTIFYING_KEYS.includes(value[0] as SubClaimKey)) {
    return `must start with a key that identifies the project (${PROJECT_IDENTIFYING_KEYS.join(', ')})`;
  }
  return value as SubClaimKey[];
}
