import { parseRuleExpression, type RuleExpression } from './rule-expression.ts';
import {
  DEPLOYMENT_TIERS,
  ENVIRONMENT_ACTIONS,
  type JobEnvironment,
  type JobRule,
} from './pipeline-config.ts';

/*
 * Readers of single `.gitlab-ci.yml` keywords. Each checks its value, pushes a message in the
 * platform's words for anything wrong (`jobs:deploy:id_tokens:AWS config missing required keys: aud`)
 * and returns the normalised value, so that every problem of a file is reported at once.
 */

const VARIABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function readScript(value: unknown, at: string, errors: string[]): string[] | undefined {
  if (value === undefined) {
    errors.push(`${at} config should implement a script: or a trigger: keyword`);
    return undefined;
  }
  const lines = (typeof value === 'string' ? [value] : Array.isArray(value) ? value.flat() : null) as
    unknown[] | null;
  if (!lines || lines.length === 0 || !lines.every((l) => typeof l === 'string')) {
    errors.push(`${at}:script config should be a string or a nested array of strings up to 10 levels deep`);
    return undefined;
  }
  return lines as string[];
}

export function readEnvironment(value: unknown, at: string, errors: string[]): JobEnvironment | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'string' && value !== '') return { name: value };
  if (!isMapping(value)) {
    errors.push(`${at}:environment config should be a hash or a string`);
    return undefined;
  }
  const unknown = Object.keys(value).filter((k) => !['name', 'deployment_tier', 'action', 'url'].includes(k));
  if (unknown.length > 0)
    errors.push(`${at}:environment config contains unknown keys: ${unknown.join(', ')}`);
  if (typeof value.name !== 'string' || value.name === '')
    errors.push(`${at}:environment name can't be blank`);
  const tier = value.deployment_tier;
  if (tier !== undefined && !(DEPLOYMENT_TIERS as readonly unknown[]).includes(tier)) {
    errors.push(`${at}:environment deployment tier should be one of ${DEPLOYMENT_TIERS.join(', ')}`);
  }
  const action = value.action;
  if (action !== undefined && !(ENVIRONMENT_ACTIONS as readonly unknown[]).includes(action)) {
    errors.push(`${at}:environment action should be one of ${ENVIRONMENT_ACTIONS.join(', ')}`);
  }
  return {
    name: String(value.name),
    ...(tier !== undefined ? { deployment_tier: tier as JobEnvironment['deployment_tier'] } : {}),
    ...(action !== undefined ? { action: action as JobEnvironment['action'] } : {}),
  };
}

export function readIdTokens(
  value: unknown,
  at: string,
  errors: string[],
): Record<string, { aud: string[] }> {
  if (value === undefined) return {};
  if (!isMapping(value)) {
    errors.push(`${at}:id_tokens config should be a hash`);
    return {};
  }
  const tokens: Record<string, { aud: string[] }> = {};
  for (const [variable, spec] of Object.entries(value)) {
    const where = `${at}:id_tokens:${variable}`;
    if (!VARIABLE_NAME.test(variable)) errors.push(`${where} is not a valid variable name`);
    if (!isMapping(spec)) {
      errors.push(`${where} config should be a hash`);
      continue;
    }
    const unknown = Object.keys(spec).filter((k) => k !== 'aud');
    if (unknown.length > 0) errors.push(`${where} config contains unknown keys: ${unknown.join(', ')}`);
    if (spec.aud === undefined) {
      errors.push(`${where} config missing required keys: aud`);
      continue;
    }
    const aud = typeof spec.aud === 'string' ? [spec.aud] : spec.aud;
    if (!Array.isArray(aud) || aud.length === 0 || !aud.every((a) => typeof a === 'string' && a !== '')) {
      errors.push(`${where}:aud config should be a string or an array of strings`);
      continue;
    }
    tokens[variable] = { aud: aud as string[] };
  }
  return tokens;
}

export function readTags(value: unknown, at: string, errors: string[]): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || !value.every((t) => typeof t === 'string')) {
    errors.push(`${at}:tags config should be an array of strings`);
    return [];
  }
  return value as string[];
}

export function readRules(value: unknown, at: string, errors: string[]): JobRule[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value)) {
    errors.push(`${at}:rules config should be an array of hashes`);
    return undefined;
  }
  const rules: JobRule[] = [];
  value.forEach((rule: unknown, index) => {
    const where = `${at}:rules:rule`;
    if (!isMapping(rule)) {
      errors.push(`${where} config should be a hash`);
      return;
    }
    const unknown = Object.keys(rule).filter((k) => k !== 'if' && k !== 'when');
    if (unknown.length > 0) errors.push(`${where} config contains unknown keys: ${unknown.join(', ')}`);
    const when = rule.when ?? 'on_success';
    if (!['on_success', 'never', 'always'].includes(when as string)) {
      errors.push(`${where} when unknown value: ${String(when)}`);
      return;
    }
    let expression: RuleExpression | undefined;
    if (rule.if !== undefined) {
      const parsed = typeof rule.if === 'string' ? parseRuleExpression(rule.if) : 'if should be a string';
      if (typeof parsed === 'string') {
        errors.push(`${where} ${index + 1}: ${parsed}`);
        return;
      }
      expression = parsed;
    }
    rules.push({ ...(expression ? { if: expression } : {}), when: when as JobRule['when'] });
  });
  return rules;
}

export function readVariables(value: unknown, at: string, errors: string[]): Record<string, string> {
  if (value === undefined) return {};
  if (!isMapping(value)) {
    errors.push(`${at} config should be a hash of key value pairs`);
    return {};
  }
  const variables: Record<string, string> = {};
  for (const [key, v] of Object.entries(value)) {
    if (!VARIABLE_NAME.test(key) || !['string', 'number', 'boolean'].includes(typeof v)) {
      errors.push(`${at} config should be a hash of key value pairs`);
      break;
    }
    variables[key] = String(v);
  }
  return variables;
}

export function isMapping(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
