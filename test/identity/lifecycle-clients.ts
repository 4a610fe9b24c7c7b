import { Gitlab } from '@gitbeaker/rest';
import { gitbeakerStatus, runPythonFixture } from '../support/gitlab-clients.ts';

/*
 * The lifecycle calls (delete a project, group or user; deactivate and activate a user) made through
 * each real GitLab client, the way its documentation shows. Each answers `'done'` when the client
 * reports success, or the HTTP status the client saw when the server refused.
 */

export type Outcome = 'done' | number;

export interface LifecycleClient {
  readonly name: 'python-gitlab' | 'gitbeaker';
  deleteProject(host: string, token: string, id: number): Promise<Outcome>;
  deleteGroup(host: string, token: string, id: number): Promise<Outcome>;
  deleteUser(host: string, token: string, id: number, options?: { hardDelete?: boolean }): Promise<Outcome>;
  deactivateUser(host: string, token: string, id: number): Promise<Outcome>;
  activateUser(host: string, token: string, id: number): Promise<Outcome>;
}

const SCRIPT = 'test/identity/fixtures/python_gitlab_lifecycle.py';

async function python(host: string, token: string, action: string, id: number): Promise<Outcome> {
  const run = await runPythonFixture(SCRIPT, [host, token, action, String(id)]);
  if (run.code !== 0) throw new Error(`python-gitlab failed: ${run.stderr}`);
  return run.result as Outcome;
}

const pythonGitlab: LifecycleClient = {
  name: 'python-gitlab',
  deleteProject: (host, token, id) => python(host, token, 'delete-project', id),
  deleteGroup: (host, token, id) => python(host, token, 'delete-group', id),
  deleteUser: (host, token, id, options) =>
    python(host, token, options?.hardDelete ? 'hard-delete-user' : 'delete-user', id),
  deactivateUser: (host, token, id) => python(host, token, 'deactivate-user', id),
  activateUser: (host, token, id) => python(host, token, 'activate-user', id),
};

async function outcomeOf(call: Promise<unknown>): Promise<Outcome> {
  const status = await gitbeakerStatus(call);
  return status === 200 ? 'done' : status;
}

const gitbeaker: LifecycleClient = {
  name: 'gitbeaker',
  deleteProject: (host, token, id) => outcomeOf(new Gitlab({ host, token }).Projects.remove(id)),
  deleteGroup: (host, token, id) => outcomeOf(new Gitlab({ host, token }).Groups.remove(id)),
  deleteUser: (host, token, id, options) =>
    outcomeOf(new Gitlab({ host, token }).Users.remove(id, { hardDelete: options?.hardDelete })),
  deactivateUser: (host, token, id) => outcomeOf(new Gitlab({ host, token }).Users.deactivate(id)),
  activateUser: (host, token, id) => outcomeOf(new Gitlab({ host, token }).Users.activate(id)),
};

export const LIFECYCLE_CLIENTS: readonly LifecycleClient[] = [pythonGitlab, gitbeaker];
