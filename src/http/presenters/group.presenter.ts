import type { Namespace } from '../../store/schema.ts';

/** GitLab's group entity. `fullName` is the names of the group and its ancestors, `Parent / Child`. */
export function presentGroup(group: Namespace, fullName: string, externalUrl: string) {
  return {
    id: group.id,
    web_url: `${externalUrl}/groups/${group.full_path}`,
    name: group.name,
    path: group.path,
    description: group.description,
    visibility: group.visibility,
    share_with_group_lock: false,
    require_two_factor_authentication: false,
    two_factor_grace_period: 48,
    project_creation_level: 'developer',
    auto_devops_enabled: null,
    subgroup_creation_level: 'maintainer',
    emails_disabled: false,
    emails_enabled: true,
    mentions_disabled: null,
    lfs_enabled: true,
    default_branch: null,
    default_branch_protection: 2,
    avatar_url: null,
    request_access_enabled: true,
    full_name: fullName,
    full_path: group.full_path,
    created_at: group.created_at,
    parent_id: group.parent_id,
  };
}
