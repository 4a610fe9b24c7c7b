import type { Generated, Selectable } from 'kysely';

/** Where a CI/CD variable is defined: the whole instance, one group, or one project. */
export type VariableOwner =
  { level: 'instance' } | { level: 'group'; id: number } | { level: 'project'; id: number };

export type VariableType = 'env_var' | 'file';

/** A CI/CD variable (migration 009); the value is sealed under the key-encryption key. */
export interface CiVariablesTable {
  id: Generated<number>;
  project_id: number | null;
  group_id: number | null;
  key: string;
  value_sealed: string;
  variable_type: VariableType;
  protected: number;
  masked: number;
  /** 1: masked and hidden, the value is never shown again through the API or the UI. */
  hidden: number;
  raw: number;
  environment_scope: string;
  description: string | null;
  created_at: string;
}

/** A variable a pipeline was started with (trigger variables), sealed as well. */
export interface CiPipelineVariablesTable {
  id: Generated<number>;
  pipeline_id: number;
  key: string;
  value_sealed: string;
  variable_type: VariableType;
}

export type CiVariableRow = Selectable<CiVariablesTable>;
export type PipelineVariableRow = Selectable<CiPipelineVariablesTable>;

/** Merged into `Database` by `schema.ts`. */
export interface CiVariableTables {
  ci_variables: CiVariablesTable;
  ci_pipeline_variables: CiPipelineVariablesTable;
}
