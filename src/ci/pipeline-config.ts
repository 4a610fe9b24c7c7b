import { parseDocument } from 'yaml';
import { parseDuration } from './duration.ts';
import type { RuleExpression } from './rule-expression.ts';
import {
  isMapping,
  readEnvironment,
  readIdTokens,
  readRules,
  readScript,
  readTags,
  readVariables,
} from './job-keywords.ts';

/** Deployment tiers GitLab knows. */
export const DEPLOYMENT_TIERS = ['production', 'staging', 'testing', 'development', 'other'] as const;
export const ENVIRONMENT_ACTIONS = ['start', 'prepare', 'stop', 'verify', 'access'] as const;

export interface JobEnvironment {
  name: string;
  deployment_tier?: (typeof DEPLOYMENT_TIERS)[number];
  action?: (typeof ENVIRONMENT_ACTIONS)[number];
}

export interface JobRule {
  if?: RuleExpression;
  /** `never` keeps the job out when the rule matches. */
  when: 'on_success' | 'never' | 'always';
}

/** One job of `.gitlab-ci.yml`, checked and normalised. */
export interface JobDefinition {
  name: string;
  stage: string;
  script: string[];
  environment?: JobEnvironment;
  /** Variable name → audiences of the ID token it receives. */
  id_tokens: Record<string, { aud: string[] }>;
  timeoutSeconds?: number;
  tags: string[];
  rules?: JobRule[];
  variables: Record<string, string>;
}

export interface PipelineConfig {
  /** `.pre`, the declared stages (or GitLab's defaults), `.post`. */
  stages: string[];
  variables: Record<string, string>;
  jobs: JobDefinition[];
}

export type PipelineConfigResult = { ok: true; config: PipelineConfig } | { ok: false; errors: string[] };

const DEFAULT_STAGES = ['build', 'test', 'deploy'];
const JOB_KEYS = ['stage', 'script', 'environment', 'id_tokens', 'timeout', 'tags', 'rules', 'variables'];
/** Top-level keywords of the platform that Tessera does not run: refused by name, never ignored. */
const UNSUPPORTED_GLOBAL_KEYWORDS = [
  'image',
  'services',
  'cache',
  'before_script',
  'after_script',
  'include',
  'workflow',
  'default',
  'pages',
];

/**
 * Reads a `.gitlab-ci.yml`: the subset of the platform's keywords that credentials need (`stages`,
 * `variables`, and jobs with `stage`, `script`, `environment`, `id_tokens`, `timeout`, `tags`,
 * `rules`, `variables`). Every unknown or unsupported key is an error naming it, in the platform's
 * wording (`jobs:build config contains unknown keys: image`).
 *
 * @example
 * const result = parsePipelineConfig('deploy:\n  script: [echo hi]\n');
 * if (result.ok) result.config.jobs[0].stage; // 'test'
 */
export function parsePipelineConfig(text: string): PipelineConfigResult {
  const document = parseDocument(text, { prettyErrors: false, uniqueKeys: true });
  if (document.errors.length > 0) {
    return { ok: false, errors: document.errors.map((e) => `yaml syntax error: ${e.message}`) };
  }
  let root: unknown;
  try {
    root = document.toJS({ maxAliasCount: 100 });
  } catch (error) {
    // Errors the parser only finds while resolving (an alias to nothing, an alias bomb) come as throws.
    return { ok: false, errors: [`yaml syntax error: ${(error as Error).message}`] };
  }
  if (!isMapping(root)) return { ok: false, errors: ['Invalid configuration format'] };

  const errors: string[] = [];
  const stages = readStages(root.stages, errors);
  const variables = readVariables(root.variables, 'variables', errors);
  const jobs: JobDefinition[] = [];
  for (const [key, value] of Object.entries(root)) {
    if (key === 'stages' || key === 'variables' || key.startsWith('.')) continue;
    if (UNSUPPORTED_GLOBAL_KEYWORDS.includes(key)) {
      errors.push(`${key} is not supported by Tessera pipelines`);
      continue;
    }
    const job = readJob(key, value, stages, errors);
    if (job) jobs.push(job);
  }
  if (errors.length === 0 && jobs.length === 0)
    errors.push('jobs config should contain at least one visible job');
  if (errors.length > 0) return { ok: false, errors };
  return { ok: true, config: { stages, variables, jobs } };
}

function readStages(value: unknown, errors: string[]): string[] {
  if (value === undefined) return ['.pre', ...DEFAULT_STAGES, '.post'];
  if (!Array.isArray(value) || !value.every((s) => typeof s === 'string' && s !== '')) {
    errors.push('stages config should be an array of strings');
    return ['.pre', ...DEFAULT_STAGES, '.post'];
  }
  return ['.pre', ...value.filter((s) => s !== '.pre' && s !== '.post'), '.post'];
}

function readJob(
  name: string,
  value: unknown,
  stages: string[],
  errors: string[],
): JobDefinition | undefined {
  const at = `jobs:${name}`;
  if (!isMapping(value)) {
    errors.push(`${at} config should be a hash`);
    return undefined;
  }
  const unknown = Object.keys(value).filter((k) => !JOB_KEYS.includes(k));
  if (unknown.length > 0) errors.push(`${at} config contains unknown keys: ${unknown.join(', ')}`);
  const before = errors.length;

  const stage = value.stage === undefined ? 'test' : value.stage;
  if (typeof stage !== 'string') errors.push(`${at}:stage config should be a string`);
  else if (!stages.includes(stage))
    errors.push(`${at} chosen stage ${stage} does not exist; available stages are ${stages.join(', ')}`);

  const script = readScript(value.script, at, errors);
  const environment = readEnvironment(value.environment, at, errors);
  const idTokens = readIdTokens(value.id_tokens, at, errors);
  const tags = readTags(value.tags, at, errors);
  const rules = readRules(value.rules, at, errors);
  const variables = readVariables(value.variables, `${at}:variables`, errors);
  let timeoutSeconds: number | undefined;
  if (value.timeout !== undefined) {
    timeoutSeconds =
      typeof value.timeout === 'string' || typeof value.timeout === 'number'
        ? parseDuration(value.timeout)
        : undefined;
    if (timeoutSeconds === undefined) errors.push(`${at}:timeout config should be a duration`);
  }
  if (errors.length > before) return undefined;
  return {
    name,
    stage: stage as string,
    script: script!,
    ...(environment ? { environment } : {}),
    id_tokens: idTokens,
    ...(timeoutSeconds !== undefined ? { timeoutSeconds } : {}),
    tags,
    ...(rules ? { rules } : {}),
    variables,
  };
}
