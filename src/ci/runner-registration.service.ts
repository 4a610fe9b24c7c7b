import { recordAudit, SYSTEM_ACTOR, type Actor } from '../audit/audit-log.ts';
import { constantTimeEqual, randomSecret } from '../crypto/secrets.ts';
import { forbidden, TesseraError } from '../errors/tessera-error.ts';
import { actorFor, type ActingUser } from '../identity/acting-user.ts';
import { canManageProject } from '../identity/permissions.ts';
import { authorizeProject } from '../identity/resource-access.ts';
import { readApplicationSetting, writeApplicationSetting } from '../store/application-settings.repository.ts';
import {
  findRegistrationTokenByDigest,
  findRegistrationTokenOfScope,
  replaceRegistrationToken,
} from '../store/ci-runner-registration.repository.ts';
import type { Runner } from '../store/ci-schema.ts';
import type { Executor } from '../store/database.ts';
import type { Project } from '../store/schema.ts';
import { inTransaction } from '../store/in-transaction.ts';
import { isoNow } from '../util/clock.ts';
import type { CiDeps } from './ci-deps.ts';
import { issueRunner, type NewRunnerInput } from './runner.service.ts';

/*
 * The legacy way to register a runner: `POST /runners` with a registration token, the instance's (an
 * instance runner) or a project's (a runner of that project). Off by default, as on the platform since
 * 17.0; an administrator allows it with the `allow_runner_registration_token` setting. The runner it
 * makes gets a `glrt-` authentication token like any other.
 */

export const REGISTRATION_SETTING = 'allow_runner_registration_token';
/** The platform's prefix of registration tokens, which its runners and scanners recognise. */
export const REGISTRATION_TOKEN_PREFIX = 'GR1348941';

const INSTANCE_SCOPE = 'instance';
const projectScope = (projectId: number) => `project:${projectId}`;
const sealContext = (scope: string) => `ci_runner_registration_tokens:${scope}`;

export const registrationDisallowed = (): TesseraError =>
  new TesseraError('gone', '410 Gone - runner registration disallowed');

export async function registrationTokensAllowed(db: Executor): Promise<boolean> {
  return (await readApplicationSetting(db, REGISTRATION_SETTING)) === true;
}

export async function setRegistrationTokensAllowed(
  deps: CiDeps,
  actor: Actor,
  allowed: boolean,
): Promise<void> {
  await inTransaction(deps.db, async (trx) => {
    const previous = await registrationTokensAllowed(trx);
    await writeApplicationSetting(trx, REGISTRATION_SETTING, allowed, isoNow(deps.clock));
    await recordAudit(trx, deps.clock, actor, {
      action: 'application_setting.updated',
      entity: { type: 'ApplicationSetting', id: REGISTRATION_SETTING },
      details: { key: REGISTRATION_SETTING, from: previous, to: allowed },
    });
  });
}

/** Which registration token: the instance's (administrators) or a project's (its maintainers). */
export type RegistrationScope = { kind: 'instance' } | { kind: 'project'; project: string | number };

/**
 * Makes a new registration token for the scope, ending the previous one at once, and returns it. Only
 * a project's token is kept sealed beside its digest, for `runners_token`; the instance's is shown now
 * and never again.
 */
export async function resetRegistrationToken(
  deps: CiDeps,
  acting: ActingUser,
  scope: RegistrationScope,
): Promise<string> {
  let project: Project | undefined;
  if (scope.kind === 'instance') {
    if (!acting.user.is_admin) throw forbidden();
  } else {
    project = (await authorizeProject(deps.db, acting.user, scope.project, canManageProject)).project;
  }
  const key = project ? projectScope(project.id) : INSTANCE_SCOPE;
  const token = `${REGISTRATION_TOKEN_PREFIX}${randomSecret()}`;
  await inTransaction(deps.db, async (trx) => {
    await replaceRegistrationToken(trx, {
      scope: key,
      project_id: project?.id ?? null,
      token_digest: deps.digester.digest(token),
      token_sealed: project ? deps.box.seal(token, sealContext(key)) : null,
      created_at: isoNow(deps.clock),
    });
    await recordAudit(trx, deps.clock, actorFor(acting), {
      action: 'runner_registration_token.reset',
      entity: { type: 'ci_runner_registration_token', id: key },
      target: project ? { type: 'project', id: project.id } : { type: 'instance', id: null },
    });
  });
  deps.metrics.tokensIssued.inc({ type: 'runner_registration_token' });
  return token;
}

/** A project's registration token for its maintainers (`runners_token`), or null when none was made. */
export async function projectRegistrationToken(deps: CiDeps, project: Project): Promise<string | null> {
  const key = projectScope(project.id);
  const row = await findRegistrationTokenOfScope(deps.db, key);
  return row?.token_sealed ? deps.box.open(row.token_sealed, sealContext(key)) : null;
}

/**
 * `POST /runners`: registers a runner with a registration token. 410 while registration tokens are
 * not allowed (whatever the token), 403 for a token that is not one.
 */
export async function registerRunnerWithToken(
  deps: CiDeps,
  token: unknown,
  input: Pick<NewRunnerInput, 'description' | 'tagList' | 'runUntagged' | 'paused'>,
  ip: string | null,
): Promise<{ runner: Runner; token: string }> {
  if (!(await registrationTokensAllowed(deps.db))) throw registrationDisallowed();
  if (typeof token !== 'string' || !token.startsWith(REGISTRATION_TOKEN_PREFIX) || token.length > 256)
    throw forbidden();
  const digest = deps.digester.digest(token);
  const found = await findRegistrationTokenByDigest(deps.db, digest);
  if (!found || !constantTimeEqual(found.token_digest, digest)) throw forbidden();
  return issueRunner(
    deps,
    { ...SYSTEM_ACTOR, name: 'runner registration token', ip },
    {
      runnerType: found.project_id === null ? 'instance_type' : 'project_type',
      projectId: found.project_id,
      environment: 'self-hosted',
      createdById: null,
      input,
      registeredWith: found.scope,
    },
  );
}
