import type { Selectable } from 'kysely';

/* Row types of the workflow service's revocation tables (migration 011). */

/** One row, `id` 1: the version the latest change took. Locked by every change, so versions commit in order. */
export interface WorkflowRevocationVersionsTable {
  id: number;
  version: number;
}

/** The latest revocation of one workflow's tokens, as one instance named it. */
export interface WorkflowRevocationsTable {
  instance_id: string;
  workflow_id: string;
  /** The version of the revocation itself: a token generated before it is refused. */
  generation: number;
  /** The version of the latest change to the row or its fresh tokens: what a replica polls for. */
  version: number;
  revoked_at: string;
  /** Every token issued before the revocation has expired by then: the row can go. */
  forget_at: string;
}

/** A token generated for the workflow after its latest revocation (a resumed workflow). */
export interface WorkflowRevocationFreshTokensTable {
  instance_id: string;
  workflow_id: string;
  jti: string;
}

/** Merged into `Database` by `schema.ts`. */
export interface WorkflowRevocationTables {
  workflow_revocation_versions: WorkflowRevocationVersionsTable;
  workflow_revocations: WorkflowRevocationsTable;
  workflow_revocation_fresh_tokens: WorkflowRevocationFreshTokensTable;
}

export type WorkflowRevocationRow = Selectable<WorkflowRevocationsTable>;
