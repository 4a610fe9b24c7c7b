import type { Namespace, Project } from '../../store/schema.ts';

/** GitLab's namespace entity, as embedded in a project. */
export function presentNamespace(namespace: Namespace, externalUrl: string) {
  return {
    id: namespace.id,
    name: namespace.name,
    path: namespace.path,
    kind: namespace.kind,
    full_path: namespace.full_path,
    parent_id: namespace.parent_id,
    avatar_url: null,
    web_url:
      namespace.kind === 'group'
        ? `${externalUrl}/groups/${namespace.full_path}`
        : `${externalUrl}/${namespace.full_path}`,
  };
}

/**
 * GitLab's project entity. `namespaceFullName` is the human name of the namespace chain, from which
 * `name_with_namespace` (`Platform / Infra / API`) is built.
 */
export function presentProject(
  project: Project,
  namespace: Namespace,
  namespaceFullName: string,
  externalUrl: string,
) {
  const web = `${externalUrl}/${project.full_path}`;
  const api = `${externalUrl}/api/v4/projects/${project.id}`;
  return {
    id: project.id,
    description: project.description,
    name: project.name,
    name_with_namespace: `${namespaceFullName} / ${project.name}`,
    path: project.path,
    path_with_namespace: project.full_path,
    created_at: project.created_at,
    default_branch: project.default_branch,
    tag_list: [],
    topics: [],
    ssh_url_to_repo: `git@${new URL(externalUrl).hostname}:${project.full_path}.git`,
    http_url_to_repo: `${web}.git`,
    web_url: web,
    readme_url: null,
    forks_count: 0,
    avatar_url: null,
    star_count: 0,
    last_activity_at: project.created_at,
    namespace: presentNamespace(namespace, externalUrl),
    visibility: project.visibility,
    archived: false,
    empty_repo: true,
    creator_id: project.creator_id,
    _links: {
      self: api,
      members: `${api}/members`,
      repo_branches: `${api}/repository/branches`,
    },
  };
}
