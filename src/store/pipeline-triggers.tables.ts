import type { Generated, Selectable } from 'kysely';

/** A pipeline trigger token of a project (migration 006); pipelines it starts run as its owner. */
export interface CiPipelineTriggersTable {
  id: Generated<number>;
  project_id: number;
  /** Whose permissions the triggered pipelines use; null once that user is deleted. */
  owner_id: number | null;
  description: string;
  /** Keyed digest of the `glptt-` token. */
  token_digest: string;
  /** The token's first characters, shown in listings instead of the token. */
  token_hint: string;
  created_at: string;
  last_used: string | null;
}

export type PipelineTrigger = Selectable<CiPipelineTriggersTable>;

/** Merged into `Database` by `schema.ts`. */
export interface PipelineTriggerTables {
  ci_pipeline_triggers: CiPipelineTriggersTable;
}
