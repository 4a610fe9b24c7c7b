import { recordAudit } from '../../audit/audit-log.ts';
import { forbidden, notFound, TesseraError, badRequest } from '../../errors/tessera-error.ts';
import { actorFor, type ActingUser } from '../../identity/acting-user.ts';
import { canAdministerGroup, canManageProject } from '../../identity/permissions.ts';
import { authorizeGroup, authorizeProject } from '../../identity/resource-access.ts';
import {
  deleteCiVariable,
  insertCiVariable,
  listCiVariables,
  updateCiVariable,
} from '../../store/ci-variables.repository.ts';
import type { CiVariableRow, VariableOwner, VariableType } from '../../store/ci-variables.tables.ts';
import type { Executor } from '../../store/database.ts';
import { inTransaction } from '../../store/in-transaction.ts';
import type { CiDeps } from '../ci-deps.ts';
import {
  assertValidDescription,
  assertValidKey,
  assertValidScope,
  assertValidValue,
} from './variable-rules.ts';

/** Which variables a request is about: a project's or a group's (by id or full path), or the instance's. */
export type VariableTarget =
  { level: 'project'; ref: string } | { level: 'group'; ref: string } | { level: 'instance' };

/** A variable as the API shows it: `value` is null for a hidden one, which is never shown again. */
export interface VariableView {
  row: CiVariableRow;
  value: string | null;
}

export interface NewVariable {
  key: string;
  value: string;
  variableType?: VariableType | undefined;
  protected?: boolean | undefined;
  masked?: boolean | undefined;
  maskedAndHidden?: boolean | undefined;
  raw?: boolean | undefined;
  environmentScope?: string | undefined;
  description?: string | undefined;
}

export type VariableChange = Partial<Omit<NewVariable, 'key' | 'maskedAndHidden'>>;

const flag = (value: boolean | undefined, fallback: number) =>
  value === undefined ? fallback : value ? 1 : 0;

/** The value is bound to where the variable lives and its key, so a sealed value cannot be moved. */
export function variableSealContext(owner: VariableOwner, key: string): string {
  return `ci_variable:${owner.level}:${owner.level === 'instance' ? 0 : owner.id}:${key}`;
}

interface Resolved {
  owner: VariableOwner;
  entity: { type: string; id: number | null };
}

/**
 * Who may manage variables, as on GitLab: maintainers of a project, owners of a group,
 * administrators for the instance. Members below that get 403; those who cannot see it, 404.
 */
async function resolve(deps: CiDeps, acting: ActingUser, target: VariableTarget): Promise<Resolved> {
  switch (target.level) {
    case 'project': {
      const { project } = await authorizeProject(deps.db, acting.user, target.ref, canManageProject);
      return { owner: { level: 'project', id: project.id }, entity: { type: 'Project', id: project.id } };
    }
    case 'group': {
      const { group } = await authorizeGroup(deps.db, acting.user, target.ref, canAdministerGroup);
      return { owner: { level: 'group', id: group.id }, entity: { type: 'Group', id: group.id } };
    }
    case 'instance':
      if (acting.user.is_admin !== 1) throw forbidden();
      return { owner: { level: 'instance' }, entity: { type: 'Instance', id: null } };
  }
}

function view(deps: CiDeps, owner: VariableOwner, row: CiVariableRow): VariableView {
  return {
    row,
    value: row.hidden === 1 ? null : deps.box.open(row.value_sealed, variableSealContext(owner, row.key)),
  };
}

/** Every variable of the target, values opened (except hidden ones). */
export async function listVariables(
  deps: CiDeps,
  acting: ActingUser,
  target: VariableTarget,
): Promise<VariableView[]> {
  const { owner } = await resolve(deps, acting, target);
  return (await listCiVariables(deps.db, owner)).map((row) => view(deps, owner, row));
}

/** One variable by key; `environmentScope` picks one when the key exists in several scopes. */
export async function findVariable(
  deps: CiDeps,
  acting: ActingUser,
  target: VariableTarget,
  key: string,
  environmentScope?: string,
): Promise<VariableView> {
  const { owner } = await resolve(deps, acting, target);
  return view(deps, owner, await theOne(deps.db, owner, key, environmentScope));
}

async function theOne(
  db: Executor,
  owner: VariableOwner,
  key: string,
  environmentScope: string | undefined,
): Promise<CiVariableRow> {
  const rows = await listCiVariables(db, owner, {
    key,
    ...(environmentScope !== undefined ? { environmentScope } : {}),
  });
  if (rows.length === 0) throw notFound('Variable');
  if (rows.length > 1) {
    throw new TesseraError(
      'conflict',
      "There are multiple variables with provided parameters. Please use 'filter[environment_scope]'",
    );
  }
  return rows[0]!;
}

/** Creates a variable (audited by key and scope, never by value); a taken key and scope is a 400. */
export async function createVariable(
  deps: CiDeps,
  acting: ActingUser,
  target: VariableTarget,
  input: NewVariable,
): Promise<VariableView> {
  const { owner, entity } = await resolve(deps, acting, target);
  const hidden = input.maskedAndHidden === true;
  const masked = hidden || input.masked === true;
  const raw = input.raw === true;
  const scope = owner.level === 'instance' ? '*' : (input.environmentScope ?? '*');
  assertValidKey(input.key);
  assertValidScope(scope);
  assertValidValue(input.value, { masked, raw });
  assertValidDescription(input.description ?? null);
  return inTransaction(deps.db, async (trx) => {
    const taken = await listCiVariables(trx, owner, { key: input.key, environmentScope: scope });
    if (taken.length > 0) throw badRequest('key', `(${input.key}) has already been taken`);
    const row = await insertCiVariable(trx, {
      project_id: owner.level === 'project' ? owner.id : null,
      group_id: owner.level === 'group' ? owner.id : null,
      key: input.key,
      value_sealed: deps.box.seal(input.value, variableSealContext(owner, input.key)),
      variable_type: input.variableType ?? 'env_var',
      protected: input.protected ? 1 : 0,
      masked: masked ? 1 : 0,
      hidden: hidden ? 1 : 0,
      raw: raw ? 1 : 0,
      environment_scope: scope,
      description: input.description ?? null,
      created_at: deps.clock.now().toISOString(),
    });
    await audit(trx, deps, acting, entity, row, 'created');
    return view(deps, owner, row);
  });
}

/**
 * Changes a variable. A hidden variable stays masked and hidden (GitLab refuses to change its
 * visibility); its value can be replaced but not read.
 */
export async function updateVariable(
  deps: CiDeps,
  acting: ActingUser,
  target: VariableTarget,
  key: string,
  environmentScope: string | undefined,
  change: VariableChange,
): Promise<VariableView> {
  const { owner, entity } = await resolve(deps, acting, target);
  return inTransaction(deps.db, async (trx) => {
    const current = await theOne(trx, owner, key, environmentScope);
    if (current.hidden === 1 && change.masked === false) {
      throw badRequest('masked', 'cannot be changed for masked and hidden variables');
    }
    const masked = flag(change.masked, current.masked) === 1;
    const raw = flag(change.raw, current.raw) === 1;
    const context = variableSealContext(owner, key);
    const value = change.value ?? deps.box.open(current.value_sealed, context);
    assertValidValue(value, { masked, raw });
    const scope = owner.level === 'instance' ? '*' : (change.environmentScope ?? current.environment_scope);
    assertValidScope(scope);
    if (change.description !== undefined) assertValidDescription(change.description);
    if (scope !== current.environment_scope) {
      const taken = await listCiVariables(trx, owner, { key, environmentScope: scope });
      if (taken.length > 0) throw badRequest('key', `(${key}) has already been taken`);
    }
    const row = await updateCiVariable(trx, current.id, {
      ...(change.value !== undefined ? { value_sealed: deps.box.seal(change.value, context) } : {}),
      variable_type: change.variableType ?? current.variable_type,
      protected: flag(change.protected, current.protected),
      masked: masked ? 1 : 0,
      raw: raw ? 1 : 0,
      environment_scope: scope,
      description: change.description ?? current.description,
    });
    await audit(trx, deps, acting, entity, row, 'updated', change.value !== undefined);
    return view(deps, owner, row);
  });
}

/** Deletes a variable; audited. */
export async function deleteVariable(
  deps: CiDeps,
  acting: ActingUser,
  target: VariableTarget,
  key: string,
  environmentScope?: string,
): Promise<void> {
  const { owner, entity } = await resolve(deps, acting, target);
  await inTransaction(deps.db, async (trx) => {
    const current = await theOne(trx, owner, key, environmentScope);
    await deleteCiVariable(trx, current.id);
    await audit(trx, deps, acting, entity, current, 'deleted');
  });
}

/** The audit trail names the variable by key and scope; its value never reaches it. */
async function audit(
  trx: Executor,
  deps: CiDeps,
  acting: ActingUser,
  entity: Resolved['entity'],
  row: CiVariableRow,
  verb: 'created' | 'updated' | 'deleted',
  valueChanged?: boolean,
): Promise<void> {
  await recordAudit(trx, deps.clock, actorFor(acting), {
    action: `ci_variable.${verb}`,
    entity,
    target: { type: 'Ci::Variable', id: row.id, details: row.key },
    details: {
      environment_scope: row.environment_scope,
      variable_type: row.variable_type,
      protected: row.protected === 1,
      masked: row.masked === 1,
      hidden: row.hidden === 1,
      ...(valueChanged !== undefined ? { value_changed: valueChanged } : {}),
    },
  });
}
