import { randomBytes } from 'node:crypto';
import type { Job } from '../../src/store/ci-schema.ts';
import { insertJob } from '../../src/store/ci-jobs.repository.ts';
import { insertPipeline } from '../../src/store/ci-pipelines.repository.ts';
import type { Executor } from '../../src/store/database.ts';
import { insertMember } from '../../src/store/members.repository.ts';
import { insertNamespace } from '../../src/store/namespaces.repository.ts';
import { insertProject } from '../../src/store/projects.repository.ts';
import type { Namespace, Project, User, Visibility } from '../../src/store/schema.ts';
import { insertUser } from '../../src/store/users.repository.ts';

/*
 * Builders for the world a test needs, straight into the store. They bypass the services on purpose:
 * a test of token rotation should not fail because group creation changed.
 */

const unique = () => randomBytes(4).toString('hex');
const now = () => new Date().toISOString();

export async function createUser(
  db: Executor,
  fields: Partial<
    Pick<User, 'username' | 'email' | 'name' | 'is_admin' | 'state' | 'bot_kind' | 'password_digest'>
  > = {},
): Promise<User> {
  const username = fields.username ?? `user-${unique()}`;
  const user = await insertUser(db, {
    username,
    email: fields.email ?? `${username}@example.test`,
    name: fields.name ?? username,
    password_digest: fields.password_digest ?? null,
    is_admin: fields.is_admin ?? 0,
    state: fields.state ?? 'active',
    bot_kind: fields.bot_kind ?? null,
    composite_identity_enforced: 0,
    created_at: now(),
  });
  if (user.bot_kind === null) {
    await insertNamespace(db, {
      kind: 'user',
      name: user.name,
      path: user.username,
      full_path: user.username,
      parent_id: null,
      owner_user_id: user.id,
      visibility: 'private',
      description: '',
      created_at: now(),
    });
  }
  return user;
}

export async function createGroup(
  db: Executor,
  fields: { path?: string; parent?: Namespace; visibility?: Visibility } = {},
): Promise<Namespace> {
  const path = fields.path ?? `group-${unique()}`;
  return insertNamespace(db, {
    kind: 'group',
    name: path,
    path,
    full_path: fields.parent ? `${fields.parent.full_path}/${path}` : path,
    parent_id: fields.parent?.id ?? null,
    owner_user_id: null,
    visibility: fields.visibility ?? 'private',
    description: '',
    created_at: now(),
  });
}

export async function createProject(
  db: Executor,
  namespace: Namespace,
  fields: { path?: string; visibility?: Visibility; creator?: User } = {},
): Promise<Project> {
  const path = fields.path ?? `project-${unique()}`;
  return insertProject(db, {
    name: path,
    path,
    full_path: `${namespace.full_path}/${path}`,
    namespace_id: namespace.id,
    visibility: fields.visibility ?? 'private',
    description: '',
    default_branch: 'main',
    creator_id: fields.creator?.id ?? null,
    created_at: now(),
  });
}

export async function addMember(
  db: Executor,
  source: Project | Namespace,
  user: User,
  accessLevel: number,
): Promise<void> {
  const type = 'namespace_id' in source ? 'project' : 'namespace';
  await insertMember(db, {
    source: { type, id: source.id },
    userId: user.id,
    accessLevel,
    expiresAt: null,
    createdAt: now(),
  });
}

/** A running job of a running pipeline on `main`, started by `user`, whose token has digest `tokenDigest`. */
export async function createRunningJob(
  db: Executor,
  project: Project,
  user: User,
  tokenDigest: string,
): Promise<Job> {
  const at = now();
  const pipeline = await insertPipeline(db, {
    project_id: project.id,
    ref: 'main',
    tag: 0,
    sha: 'a'.repeat(40),
    before_sha: '0'.repeat(40),
    source: 'push',
    status: 'running',
    user_id: user.id,
    yaml_errors: null,
    created_at: at,
    started_at: at,
    finished_at: null,
  });
  return insertJob(db, {
    pipeline_id: pipeline.id,
    project_id: project.id,
    name: 'build',
    stage: 'test',
    stage_idx: 1,
    status: 'running',
    failure_reason: null,
    user_id: user.id,
    runner_id: null,
    definition: '{}',
    tag_list: '[]',
    timeout_seconds: 3600,
    token_digest: tokenDigest,
    created_at: at,
    queued_at: at,
    started_at: at,
    finished_at: null,
  });
}
