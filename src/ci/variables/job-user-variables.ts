import { listCiVariablesReaching, listPipelineVariables } from '../../store/ci-variables.repository.ts';
import type { CiVariableRow, VariableOwner } from '../../store/ci-variables.tables.ts';
import type { Pipeline } from '../../store/ci-schema.ts';
import { namespaceWithAncestors } from '../../store/namespaces.repository.ts';
import type { Project } from '../../store/schema.ts';
import type { CiDeps } from '../ci-deps.ts';
import type { Variable } from '../job-variables.ts';
import { variableSealContext } from './ci-variable.service.ts';
import { pipelineVariableSealContext } from './pipeline-variables.ts';
import { isCredentialKey, scopeMatches, scopeSpecificity } from './variable-rules.ts';

/** What decides which user variables a job gets. */
export interface JobVariableFacts {
  project: Project;
  pipeline: Pipeline;
  /** Whether the pipeline runs on a protected ref: only then do protected variables reach it. */
  refProtected: boolean;
  /** The job's environment name, when it deploys to one. */
  environment: string | undefined;
  /** Names of credentials the job gets (its `id_tokens:`, providers' variables): never replaced. */
  credentialNames: readonly string[];
}

/**
 * The user-defined variables of one job, lowest precedence first (the runner exports them in order,
 * so a later one wins): instance, groups from the root down to the project's own group, the
 * project, then the pipeline's own (trigger) variables — GitLab's precedence. Within one level a key
 * defined for several environment scopes takes the most specific scope that matches.
 *
 * A variable named like a credential the platform gives the job (`CI_JOB_TOKEN`, an ID token) is
 * dropped, whatever its level: creation refuses such names, and this keeps the rule for anything
 * stored before it.
 */
export async function userVariablesForJob(deps: CiDeps, facts: JobVariableFacts): Promise<Variable[]> {
  const { project, pipeline } = facts;
  const groups = (await namespaceWithAncestors(deps.db, project.namespace_id)).filter(
    (namespace) => namespace.kind === 'group',
  );
  const rows = (
    await listCiVariablesReaching(
      deps.db,
      project.id,
      groups.map((g) => g.id),
    )
  ).filter(
    (row) =>
      (row.protected === 0 || facts.refProtected) && scopeMatches(row.environment_scope, facts.environment),
  );
  const levels: { owner: VariableOwner; rows: CiVariableRow[] }[] = [
    { owner: { level: 'instance' }, rows: rows.filter((r) => r.project_id === null && r.group_id === null) },
    // namespaceWithAncestors is nearest first; the nearest group must come last to win.
    ...[...groups].reverse().map((group) => ({
      owner: { level: 'group', id: group.id } as VariableOwner,
      rows: rows.filter((r) => r.group_id === group.id),
    })),
    { owner: { level: 'project', id: project.id }, rows: rows.filter((r) => r.project_id === project.id) },
  ];

  const variables: Variable[] = [];
  for (const { owner, rows: levelRows } of levels) {
    for (const row of mostSpecificPerKey(levelRows)) {
      variables.push({
        key: row.key,
        value: deps.box.open(row.value_sealed, variableSealContext(owner, row.key)),
        public: false,
        masked: row.masked === 1,
        raw: row.raw === 1,
        ...(row.variable_type === 'file' ? { file: true } : {}),
      });
    }
  }
  for (const row of await listPipelineVariables(deps.db, pipeline.id)) {
    variables.push({
      key: row.key,
      value: deps.box.open(row.value_sealed, pipelineVariableSealContext(pipeline.id, row.key)),
      public: false,
      masked: false,
      ...(row.variable_type === 'file' ? { file: true } : {}),
    });
  }
  const reserved = new Set(facts.credentialNames);
  return variables.filter((v) => !isCredentialKey(v.key) && !reserved.has(v.key));
}

function mostSpecificPerKey(rows: CiVariableRow[]): CiVariableRow[] {
  const best = new Map<string, CiVariableRow>();
  for (const row of rows) {
    const held = best.get(row.key);
    if (!held || scopeSpecificity(row.environment_scope) > scopeSpecificity(held.environment_scope)) {
      best.set(row.key, row);
    }
  }
  return [...best.values()];
}
