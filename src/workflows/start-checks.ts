import { unitPrimitiveCatalogue } from '../cloud/unit-primitive-catalogue.ts';
import { ciDeps } from '../ci/ci-deps.ts';
import { forbidden, TesseraError } from '../errors/tessera-error.ts';
import { projectAccessFacts } from '../identity/access-facts.service.ts';
import { canWriteRepository } from '../identity/permissions.ts';
import { authorizeProject } from '../identity/resource-access.ts';
import type { InstanceContext } from '../runtime/instance-context.ts';
import { addOnsOfUser } from '../store/add-on-seats.repository.ts';
import type { AiWorkflowEnvironment } from '../store/ai-workflows.tables.ts';
import type { Project, User } from '../store/schema.ts';
import { duoWorkflowIdentity, type DuoWorkflowIdentity } from './duo-identity.ts';
import { instanceCredentials, type InstanceCredentials } from './instance-credentials.ts';
import {
  MAX_GOAL_LENGTH,
  WORKFLOW_DEFINITIONS,
  WORKFLOW_ENVIRONMENTS,
  type WorkflowDefinition,
} from './workflow-rules.ts';

/** What a start request asks for, as it came. */
export interface StartRequest {
  projectId: unknown;
  goal: unknown;
  definition: unknown;
  environment?: unknown;
}

/** Everything a run needs, established before anything is created. */
export interface RunPlan {
  project: Project;
  user: User;
  identity: DuoWorkflowIdentity;
  instance: InstanceCredentials;
  /** The commit the job checks out: the default branch's head. */
  ref: string;
  sha: string;
}

/** A checked start request: the workflow's fields, and for a remote workflow the plan of its first run. */
export interface CheckedStart {
  project: Project;
  goal: string;
  definition: WorkflowDefinition;
  environment: AiWorkflowEnvironment;
  plan: RunPlan | null;
}

const invalid = (field: string) =>
  new TesseraError('bad_request', `400 Bad request - ${field} does not have a valid value`);

/**
 * Every refusal of a start, in order, before anything exists: the input (definition, goal,
 * environment: 400), the person (a bot or a composite identity may not start one: 403), the project
 * (404 hidden, 403 below Developer), the seat (403 naming the add-on); for a remote workflow also the
 * instance's entitlement, a commit to run on, and the service account's membership.
 *
 * @example
 * const checked = await checkStart(context, user, { projectId: 7, goal: 'Fix the README', definition: 'chat' });
 */
export async function checkStart(
  context: InstanceContext,
  user: User,
  request: StartRequest,
): Promise<CheckedStart> {
  const definition = request.definition;
  if (typeof definition !== 'string' || !(WORKFLOW_DEFINITIONS as readonly string[]).includes(definition)) {
    throw invalid('definition');
  }
  const goal = typeof request.goal === 'string' ? request.goal.trim() : '';
  if (goal === '') throw new TesseraError('bad_request', '400 Bad request - goal is missing');
  if (goal.length > MAX_GOAL_LENGTH) {
    throw new TesseraError(
      'bad_request',
      `400 Bad request - goal is longer than ${MAX_GOAL_LENGTH} characters`,
    );
  }
  const environment = request.environment ?? 'remote';
  if (
    typeof environment !== 'string' ||
    !(WORKFLOW_ENVIRONMENTS as readonly string[]).includes(environment)
  ) {
    throw invalid('environment');
  }
  const projectRef = request.projectId;
  if (typeof projectRef !== 'string' && typeof projectRef !== 'number') {
    throw new TesseraError('bad_request', '400 Bad request - project_id is missing');
  }
  const project = await checkPerson(context, user, projectRef);
  const checked = {
    project,
    goal,
    definition: definition as WorkflowDefinition,
    environment: environment as AiWorkflowEnvironment,
  };
  if (environment === 'local') return { ...checked, plan: null };
  return { ...checked, plan: await checkRemoteRun(context, user, project) };
}

/**
 * The person-side checks, shared by start, resume and direct_access: a person (not a bot), Developer
 * or more on the project, and a seat of an add-on that unlocks the workflow service.
 *
 * @example
 * const project = await checkPerson(context, user, 'demo/hello');
 */
export async function checkPerson(
  context: InstanceContext,
  user: User,
  projectRef: string | number,
): Promise<Project> {
  if (user.bot_kind !== null) throw forbidden('403 Forbidden - only a person can run an AI workflow');
  const { project } = await authorizeProject(context.db, user, projectRef, canWriteRepository);
  await checkSeat(context, user);
  return project;
}

/**
 * A seat of an add-on whose unit primitives reach the workflow service; else 403 naming those add-ons.
 *
 * @example
 * await checkSeat(context, user); // 403 "… need a seat of the duo_enterprise add-on …" without one
 */
export async function checkSeat(context: Pick<InstanceContext, 'db'>, user: User): Promise<void> {
  const catalogue = unitPrimitiveCatalogue();
  const held = await addOnsOfUser(context.db, user.id);
  if (catalogue.primitivesFor(held, 'workflow_service').length > 0) return;
  const granting = catalogue.addOns.filter(
    (addOn) => catalogue.primitivesFor([addOn], 'workflow_service').length > 0,
  );
  throw forbidden(
    `403 Forbidden - AI workflows need a seat of the ${granting.join(' or ')} add-on (ask an administrator to assign one)`,
  );
}

/**
 * What a remote run needs besides the person: entitlement, a commit, and the service account's access.
 *
 * @example
 * const plan = await checkRemoteRun(context, user, project);
 */
export async function checkRemoteRun(
  context: InstanceContext,
  user: User,
  project: Project,
): Promise<RunPlan> {
  const instance = await instanceCredentials(context);
  const resolved = await ciDeps(context).repositories.resolveRef(project.id, project.default_branch);
  if (!resolved || resolved.type !== 'branch') {
    throw new TesseraError(
      'bad_request',
      `400 Bad request - the project has no commit on its default branch (${project.default_branch}) to run on`,
    );
  }
  const identity = await duoWorkflowIdentity(context);
  const facts = await projectAccessFacts(context.db, identity.serviceAccount, project);
  if (!canWriteRepository(facts)) {
    throw forbidden(
      `403 Forbidden - the Duo Workflow service account (@${identity.serviceAccount.username}) needs the Developer role in this project`,
    );
  }
  return { project, user, identity, instance, ref: resolved.ref, sha: resolved.sha };
}
