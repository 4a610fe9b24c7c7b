import type { FastifyReply, FastifyRequest } from 'fastify';
import {
  allowlistedGroups,
  allowlistedProjects,
  allowlistGroup,
  allowlistProject,
  jobTokenAuthorizationLog,
  removeFromAllowlist,
} from '../../ci/job-token-scope.service.ts';
import { presentCiSettings, updateProjectCiSettings } from '../../ci/project-ci-settings.service.ts';
import { notFound, TesseraError } from '../../errors/tessera-error.ts';
import { SUB_PREVIEW_SCRIPT } from '../assets.ts';
import { canManageProject } from '../../identity/permissions.ts';
import { ciSettingsOf } from '../../store/ci-settings.repository.ts';
import { findGroupByRef } from '../../store/namespaces.repository.ts';
import { findProjectByRef } from '../../store/projects.repository.ts';
import { instanceAutoDevOps } from '../../tokens/deploy/auto-devops.service.ts';
import { deployTokenDeps } from '../../tokens/deploy/deploy-token-deps.ts';
import {
  projectDeploySettingsView,
  updateProjectDeploySettings,
} from '../../tokens/deploy/project-deploy-settings.service.ts';
import { html } from '../html.ts';
import { notice } from '../layout.ts';
import { sendHtml } from '../send-html.ts';
import type { WebDeps, WebPage } from '../web-page.ts';
import { formFields, listField, queryText, textField, webActor, type FormFields } from '../web-request.ts';
import { allowlistSection, autoDevOpsSection } from './ci-cd-settings.view.ts';
import { subClaimSection } from './id-token-sub.view.ts';
import { variableFormHandlers } from './ci-variables.form.ts';
import { newCiTokenPanel, runnersSection, triggersSection } from './ci-credentials.view.ts';
import { NewTokenFlash, type NewTokenNotice } from '../new-token-flash.ts';
import {
  createPipelineTrigger,
  deleteProjectTrigger,
  listProjectTriggers,
} from '../../ci/pipeline-trigger.service.ts';
import {
  deleteRunnerById,
  findVisibleRunner,
  listProjectRunners,
  resetRunnerToken,
} from '../../ci/runner-admin.service.ts';
import { findUserById } from '../../store/users.repository.ts';
import { variablesSection } from './ci-variables.view.ts';
import { ciDeps } from '../../ci/ci-deps.ts';
import { listVariables } from '../../ci/variables/ci-variable.service.ts';
import {
  backTo,
  projectPagePath,
  projectRoute,
  renderProjectPage,
  requireProjectView,
  type ProjectView,
} from './project-page.ts';
import { previewSubClaim, type SampleJob } from './sample-id-token.ts';

/** The cookie that carries a new trigger or runner token to the page, once. */
const CI_TOKEN_FLASH = '_tessera_new_ci_token';
const SUFFIX = 'settings/ci_cd';
const SOURCES = new Set(['push', 'web', 'api', 'trigger', 'schedule', 'merge_request_event']);
/** What a redirect's `done` names; fixed words, so nothing from the request is echoed. */
const DONE: Record<string, string> = {
  auto_devops: 'Auto DevOps saved.',
  allowlist_added: 'Added to the job token allowlist.',
  allowlist_removed: 'Removed from the job token allowlist: its jobs are refused from their next request on.',
  sub: 'ID token sub components saved: jobs that start from now on get the new sub.',
  variable_added: 'Variable added: jobs that start from now on get it.',
  variable_removed: 'Variable deleted.',
  trigger_deleted: 'Trigger deleted: its token is refused from now on.',
  runner_deleted: 'Runner deleted: its token is refused, and the jobs it was running failed.',
};

interface PageState {
  /** A trigger or runner token just made: shown this once. */
  shown?: NewTokenNotice | null;
  done?: string;
  problem?: string;
  components?: readonly string[];
  sample?: SampleJob;
}

/**
 * Project → Settings → CI/CD: Auto DevOps (and with it `gitlab-deploy-token`), the job-token
 * allowlist with its authentication log, and the ID token `sub` with a preview built by the same
 * claim functions real jobs use. Every change goes through the services the REST API calls.
 */
export const ciCdSettingsPage: WebPage = {
  routes(app, deps) {
    const { context } = deps;
    const tokens = deployTokenDeps(context);
    const scope = { db: context.db, clock: context.clock };
    const here = (view: ProjectView) => projectPagePath(view.project, SUFFIX);
    const acting = (view: ProjectView, ip: string) => ({ user: view.viewer.user, ip });
    const refused = async (reply: FastifyReply, view: ProjectView, error: unknown, state: PageState = {}) => {
      if (!(error instanceof TesseraError) || !['bad_request', 'not_found'].includes(error.code)) throw error;
      const status = error.code === 'not_found' ? 404 : 400;
      return sendHtml(reply, await page(deps, view, { ...state, problem: problemText(error) }), status);
    };

    const variableForms = variableFormHandlers(deps, {
      async resolve(request) {
        const view = await requireProjectView(request, context, canManageProject);
        return {
          view,
          acting: { user: view.viewer.user, ip: request.ip },
          target: { level: 'project', ref: String(view.project.id) },
          here: here(view),
        };
      },
      refused,
    });
    projectRoute(app, 'POST', `${SUFFIX}/variables`, variableForms.add);
    projectRoute(app, 'POST', `${SUFFIX}/variables/remove`, variableForms.remove);

    const ci = ciDeps(context);
    const flashFor = (view: ProjectView) =>
      new NewTokenFlash(context.secrets.box, context.clock, context.settings, here(view), CI_TOKEN_FLASH);
    const idParam = (request: FastifyRequest, name: string) => {
      const raw = (request.params as Record<string, string>)[name] ?? '';
      return /^\d{1,15}$/.test(raw) ? Number(raw) : NaN;
    };

    projectRoute(app, 'GET', SUFFIX, async (request, reply) => {
      const view = await requireProjectView(request, context, canManageProject);
      const done = queryText(request, 'done');
      const shown = flashFor(view).take(request, reply, view.viewer);
      return sendHtml(
        reply,
        await page(deps, view, { shown, ...(Object.hasOwn(DONE, done) ? { done: DONE[done]! } : {}) }),
      );
    });

    projectRoute(app, 'POST', `${SUFFIX}/triggers`, async (request, reply) => {
      const view = await requireProjectView(request, context, canManageProject);
      const description = textField(formFields(request), 'description').trim();
      try {
        const made = await createPipelineTrigger(
          ci,
          acting(view, request.ip),
          String(view.project.id),
          description,
        );
        flashFor(view).put(reply, view.viewer, {
          action: 'created',
          tokenId: made.trigger.id,
          tokenName: made.trigger.description,
          plaintext: made.token,
        });
      } catch (error) {
        return refused(reply, view, error);
      }
      return reply.redirect(`${here(view)}#triggers`, 303);
    });

    projectRoute(app, 'POST', `${SUFFIX}/triggers/:trigger_id/delete`, async (request, reply) => {
      const view = await requireProjectView(request, context, canManageProject);
      try {
        await deleteProjectTrigger(
          ci,
          acting(view, request.ip),
          String(view.project.id),
          idParam(request, 'trigger_id'),
        );
      } catch (error) {
        return refused(reply, view, error);
      }
      return backTo(reply, `${here(view)}#triggers`, { done: 'trigger_deleted' });
    });

    // Only this project's own runners are managed here: another project's, or an instance runner, is 404.
    const projectRunner = async (view: ProjectView, request: FastifyRequest) => {
      const runner = await findVisibleRunner(ci, view.viewer.user, idParam(request, 'runner_id')).catch(
        (error: unknown) => {
          // Unknown, or not this viewer's to manage: both read as not found here.
          if (error instanceof TesseraError) return undefined;
          throw error;
        },
      );
      if (runner?.project_id !== view.project.id) throw notFound('Runner');
      return runner.id;
    };

    projectRoute(app, 'POST', `${SUFFIX}/runners/:runner_id/reset_token`, async (request, reply) => {
      const view = await requireProjectView(request, context, canManageProject);
      try {
        const id = await projectRunner(view, request);
        const { runner, token } = await resetRunnerToken(ci, acting(view, request.ip), id);
        flashFor(view).put(reply, view.viewer, {
          action: 'rotated',
          tokenId: runner.id,
          tokenName: runner.description || `#${runner.id}`,
          plaintext: token,
        });
      } catch (error) {
        return refused(reply, view, error);
      }
      return reply.redirect(`${here(view)}#runners`, 303);
    });

    projectRoute(app, 'POST', `${SUFFIX}/runners/:runner_id/delete`, async (request, reply) => {
      const view = await requireProjectView(request, context, canManageProject);
      try {
        await deleteRunnerById(ci, acting(view, request.ip), await projectRunner(view, request));
      } catch (error) {
        return refused(reply, view, error);
      }
      return backTo(reply, `${here(view)}#runners`, { done: 'runner_deleted' });
    });

    projectRoute(app, 'POST', `${SUFFIX}/auto_devops`, async (request, reply) => {
      const view = await requireProjectView(request, context, canManageProject);
      const choice = textField(formFields(request), 'auto_devops');
      const enabled = choice === 'on' ? true : choice === 'off' ? false : null;
      const actor = webActor(request, view.viewer);
      await updateProjectDeploySettings(tokens, actor, view.viewer.user, String(view.project.id), {
        autoDevOpsEnabled: enabled,
      });
      return backTo(reply, here(view), { done: 'auto_devops' });
    });

    projectRoute(app, 'POST', `${SUFFIX}/job_token_allowlist`, async (request, reply) => {
      const view = await requireProjectView(request, context, canManageProject);
      const fields = formFields(request);
      const path = textField(fields, 'path').replace(/^\/+|\/+$/g, '');
      const who = acting(view, request.ip);
      const isGroup = textField(fields, 'type') === 'group';
      try {
        if (isGroup) {
          const group = path ? await findGroupByRef(context.db, path) : undefined;
          await allowlistGroup(scope, who, String(view.project.id), group?.id ?? NaN);
        } else {
          const project = path ? await findProjectByRef(context.db, path) : undefined;
          await allowlistProject(scope, who, String(view.project.id), project?.id ?? NaN);
        }
      } catch (error) {
        // Missing and hidden must read the same, or the form tells who has which private project.
        return refused(
          reply,
          view,
          error instanceof TesseraError && error.code === 'not_found' ? unknownPath(isGroup) : error,
        );
      }
      return backTo(reply, here(view), { done: 'allowlist_added' });
    });

    projectRoute(app, 'POST', `${SUFFIX}/job_token_allowlist/remove`, async (request, reply) => {
      const view = await requireProjectView(request, context, canManageProject);
      const fields = formFields(request);
      const type = textField(fields, 'type') === 'group' ? 'group' : 'project';
      const id = Number(textField(fields, 'id'));
      try {
        await removeFromAllowlist(scope, acting(view, request.ip), String(view.project.id), { type, id });
      } catch (error) {
        return refused(reply, view, error);
      }
      return backTo(reply, here(view), { done: 'allowlist_removed' });
    });

    projectRoute(app, 'POST', `${SUFFIX}/id_token_sub`, async (request, reply) => {
      const view = await requireProjectView(request, context, canManageProject);
      const fields = formFields(request);
      const components = chosenComponents(listField(fields, 'components'));
      try {
        await updateProjectCiSettings(context, acting(view, request.ip), String(view.project.id), {
          ci_id_token_sub_claim_components: components,
        });
      } catch (error) {
        return refused(reply, view, error, { components, sample: sampleJob(fields, view) });
      }
      return backTo(reply, `${here(view)}#id-token-sub`, { done: 'sub' });
    });

    projectRoute(app, 'POST', `${SUFFIX}/id_token_sub/preview`, async (request, reply) => {
      const view = await requireProjectView(request, context, canManageProject);
      const fields = formFields(request);
      const components = chosenComponents(listField(fields, 'components'));
      return sendHtml(reply, await page(deps, view, { components, sample: sampleJob(fields, view) }));
    });

    // The live preview's data: read-only, so a plain GET (no CSRF token in play).
    projectRoute(app, 'GET', `${SUFFIX}/id_token_sub/preview.json`, async (request, reply) => {
      const view = await requireProjectView(request, context, canManageProject);
      const query = (request.query ?? {}) as FormFields;
      const preview = await previewSubClaim(context.db, {
        project: view.project,
        user: view.viewer.user,
        externalUrl: context.settings.externalUrl,
        now: context.clock.now(),
        components: chosenComponents(listField(query, 'components')),
        sample: sampleJob(query, view),
      });
      if (!preview.ok) return reply.status(400).send({ message: preview.problem });
      return reply.send({ sub: preview.sub, claims: preview.claims });
    });
  },
};

/** The slots a person filled in, in order (empty slots dropped). */
/** One answer for a path that names nothing and one the user may not see. */
function unknownPath(isGroup: boolean): TesseraError {
  return new TesseraError(
    'not_found',
    `No ${isGroup ? 'group' : 'project'} has that path (or you may not see it).`,
  );
}

function chosenComponents(values: readonly string[]): string[] {
  return values.filter((value) => value !== '').slice(0, 20);
}

function sampleJob(fields: FormFields, view: ProjectView): SampleJob {
  const source = textField(fields, 'source');
  return {
    ref: textField(fields, 'ref').slice(0, 255) || view.project.default_branch,
    refType: textField(fields, 'ref_type') === 'tag' ? 'tag' : 'branch',
    source: SOURCES.has(source) ? source : 'push',
    environment: textField(fields, 'environment').slice(0, 255),
  };
}

function problemText(error: TesseraError): string {
  const field = error.details.field;
  if (field === 'ci_id_token_sub_claim_components')
    return `The sub components ${error.message.slice(field.length + 1)}.`;
  if (field?.startsWith('target_'))
    return `That ${field.slice(7, -3)} ${error.message.slice(field.length + 1)}.`;
  return error.message;
}

async function page(deps: WebDeps, view: ProjectView, state: PageState) {
  const { context } = deps;
  const { db } = context;
  const ref = String(view.project.id);
  const who = { user: view.viewer.user, ip: '' };
  const scope = { db, clock: context.clock };
  const [deploySettings, instanceDefault, ci, projects, groups, log, variables, triggers, runners] =
    await Promise.all([
      projectDeploySettingsView(db, view.project),
      instanceAutoDevOps(db),
      ciSettingsOf(db, view.project.id),
      allowlistedProjects(scope, who, ref),
      allowlistedGroups(scope, who, ref),
      jobTokenAuthorizationLog(scope, who, ref),
      listVariables(ciDeps(context), who, { level: 'project', ref }),
      listProjectTriggers(ciDeps(context), who, ref),
      listProjectRunners(ciDeps(context), who, ref, {}),
    ]);
  const owners = await Promise.all(
    triggers.map(async (trigger) => ({
      trigger,
      owner:
        trigger.owner_id === null ? null : ((await findUserById(db, trigger.owner_id))?.username ?? null),
    })),
  );
  const ownRunners = runners.filter((runner) => runner.project_id === view.project.id);
  const saved = presentCiSettings(ci).ci_id_token_sub_claim_components;
  const components = state.components ?? saved;
  const sample = state.sample ?? {
    ref: view.project.default_branch,
    refType: 'branch',
    source: 'push',
    environment: '',
  };
  const preview = await previewSubClaim(db, {
    project: view.project,
    user: view.viewer.user,
    externalUrl: context.settings.externalUrl,
    now: context.clock.now(),
    components,
    sample,
  });
  const base = projectPagePath(view.project, SUFFIX);
  const main = html`${state.shown ? newCiTokenPanel(state.shown) : ''}
  ${state.done ? notice('success', state.done) : ''} ${state.problem ? notice('error', state.problem) : ''}
  ${autoDevOpsSection(
    base,
    view.viewer.csrfToken,
    deploySettings,
    instanceDefault,
    projectPagePath(view.project, 'settings/repository'),
  )}
  ${allowlistSection(base, view.viewer.csrfToken, {
    inboundEnabled: ci.job_token_inbound_enabled === 1,
    projects,
    groups,
    log,
  })}
  ${variablesSection(base, view.viewer.csrfToken, variables, 'project')}
  ${triggersSection(base, view.viewer.csrfToken, owners)}
  ${runnersSection(base, view.viewer.csrfToken, ownRunners, context.clock.now())}
  ${subClaimSection(base, view.viewer.csrfToken, { components, saved, sample, preview })}`;
  return renderProjectPage(deps, view, {
    tab: 'ci_cd',
    title: 'CI/CD settings',
    docs: { label: 'CI federation: ID tokens a cloud can trust', href: '/help/flows/ci-federation' },
    main,
    scripts: [SUB_PREVIEW_SCRIPT],
  });
}
