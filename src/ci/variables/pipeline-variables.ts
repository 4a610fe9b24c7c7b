import { badRequest } from '../../errors/tessera-error.ts';
import type { VariableType } from '../../store/ci-variables.tables.ts';
import { assertValidKey } from './variable-rules.ts';

/** A variable a pipeline is started with (a trigger's `variables`). */
export interface PipelineVariableInput {
  key: string;
  value: string;
  variableType: VariableType;
}

export function pipelineVariableSealContext(pipelineId: number, key: string): string {
  return `ci_pipeline_variable:${pipelineId}:${key}`;
}

/**
 * A trigger's `variables`, as the shared parameter layer hands them over: a hash `{KEY: value}` from
 * JSON, `variables[KEY]=value` forms and multipart alike. Each key follows the variable key rules,
 * the credential names included.
 */
export function pipelineVariablesFrom(params: Record<string, unknown>): PipelineVariableInput[] {
  const raw = params.variables;
  if (raw === undefined || raw === null || raw === '') return [];
  if (typeof raw !== 'object' || Array.isArray(raw)) throw badRequest('variables', 'is invalid');
  return Object.entries(raw as Record<string, unknown>).map(([key, value]) => {
    if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean')
      throw badRequest('variables', 'is invalid');
    assertValidKey(key);
    return { key, value: String(value), variableType: 'env_var' };
  });
}
