/*
 * The one table of what a caller may be allowed to do: every REST route, git operation and registry
 * action names one entry of it (src/http/route-permission.ts, GIT_OPERATION_PERMISSIONS,
 * REGISTRY_ACTION_PERMISSIONS), the way GitLab's endpoints name a fine-grained permission from its
 * generated definitions. Fine-grained tokens hold entries of this table; a test fails on a route that
 * names none and on an entry nothing names.
 */

/**
 * Where a permission applies. A token holds a permission at a boundary: one project, one group (and
 * everything below it: a `project` permission held on a group covers that group's projects), the
 * token's own user, or the whole instance.
 */
export type Boundary = 'group' | 'project' | 'user' | 'instance';

export const BOUNDARIES: readonly Boundary[] = ['group', 'project', 'user', 'instance'];

/** One entry: what `GET /api/v4/personal_access_tokens/permissions` serves. */
export interface Permission {
  /** `action_resource` in snake case (`download_code`): what tokens and routes name. */
  readonly name: string;
  /** GitLab's resource name where GitLab has published one (`Code`, `Job`, `Deploy Token`). */
  readonly resource: string;
  /** GitLab's action name where published (`Download`, `Read`, `Rotate`). */
  readonly action: string;
  readonly boundaries: readonly Boundary[];
  readonly description: string;
}

/** Who named it: GitLab's published fine-grained permissions, or Tessera for what GitLab has not published. */
export type PermissionOrigin = 'gitlab' | 'tessera';

const ORIGINS = new Map<string, PermissionOrigin>();

const snake = (words: string) =>
  words
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_|_$/g, '');

function entry(
  origin: PermissionOrigin,
  resource: string,
  action: string,
  boundaries: readonly Boundary[],
  description: string,
): Permission {
  const name = `${snake(action)}_${snake(resource)}`;
  ORIGINS.set(name, origin);
  return Object.freeze({ name, resource, action, boundaries: Object.freeze([...boundaries]), description });
}

/** A permission GitLab has published, under GitLab's resource and action names. */
const gitlab = (resource: string, action: string, boundaries: readonly Boundary[], description: string) =>
  entry('gitlab', resource, action, boundaries, description);

/** A permission for something GitLab has published no fine-grained permission for. */
const tessera = (resource: string, action: string, boundaries: readonly Boundary[], description: string) =>
  entry('tessera', resource, action, boundaries, description);

const PROJECT = ['project'] as const;
const GROUP = ['group'] as const;
const PROJECT_AND_GROUP = ['project', 'group'] as const;
const USER = ['user'] as const;
const INSTANCE = ['instance'] as const;

/**
 * Every permission, by a name routes can reference (`PERMISSIONS.downloadCode`). Keys are the
 * camel-case form of each entry's `name`.
 *
 * @example
 * app.get('/api/v4/projects/:id/jobs', { config: requires(PERMISSIONS.readJob) }, handler);
 */
export const PERMISSIONS = {
  // Repository
  downloadCode: gitlab('Code', 'Download', PROJECT, 'Clone and fetch a repository over HTTP'),
  pushCode: gitlab('Code', 'Push', PROJECT, 'Push to a repository over HTTP'),
  readBranch: gitlab('Branch', 'Read', PROJECT, 'List and read the branches of a repository'),
  protectBranch: gitlab('Branch', 'Protect', PROJECT, 'Protect a branch, or remove its protection'),
  readProtectedBranch: gitlab('Protected Branch', 'Read', PROJECT, 'List protected branches'),
  // Projects and groups
  readProject: gitlab('Project', 'Read', ['project', 'group', 'user'], 'List projects and read one'),
  createProject: gitlab('Project', 'Create', USER, 'Create a project'),
  updateProject: gitlab('Project', 'Update', PROJECT, 'Change a project’s settings'),
  deleteProject: gitlab('Project', 'Delete', PROJECT, 'Delete a project'),
  readGroup: gitlab('Group', 'Read', ['group', 'user'], 'List groups and read one'),
  createGroup: gitlab('Group', 'Create', USER, 'Create a group or subgroup'),
  deleteGroup: gitlab('Group', 'Delete', GROUP, 'Delete a group'),
  readMember: gitlab('Member', 'Read', PROJECT_AND_GROUP, 'List the members of a project or group'),
  createMember: gitlab('Member', 'Create', PROJECT_AND_GROUP, 'Add a member to a project or group'),
  updateMember: gitlab('Member', 'Update', PROJECT_AND_GROUP, 'Change a member’s role or expiry'),
  deleteMember: gitlab('Member', 'Delete', PROJECT_AND_GROUP, 'Remove a member from a project or group'),
  // Users
  readUser: gitlab('User', 'Read', USER, 'Read the current user and other users'),
  createUser: tessera('User', 'Create', INSTANCE, 'Create a user (administrators)'),
  blockUser: tessera('User', 'Block', INSTANCE, 'Block or unblock a user (administrators)'),
  deactivateUser: tessera('User', 'Deactivate', INSTANCE, 'Deactivate or activate a user (administrators)'),
  deleteUser: tessera('User', 'Delete', INSTANCE, 'Delete a user (administrators)'),
  // Personal, impersonation, project and group access tokens
  readPersonalAccessToken: gitlab(
    'Personal Access Token',
    'Read',
    USER,
    'List and read personal access tokens',
  ),
  revokePersonalAccessToken: gitlab(
    'Personal Access Token',
    'Revoke',
    USER,
    'Revoke a personal access token',
  ),
  rotatePersonalAccessToken: gitlab(
    'Personal Access Token',
    'Rotate',
    USER,
    'Rotate a personal access token',
  ),
  createPersonalAccessToken: tessera(
    'Personal Access Token',
    'Create',
    INSTANCE,
    'Create a personal access token for another user (administrators)',
  ),
  createUserPersonalAccessToken: gitlab(
    'User Personal Access Token',
    'Create',
    USER,
    'Create a personal access token for oneself',
  ),
  readPermissionCatalogue: tessera(
    'Permission Catalogue',
    'Read',
    USER,
    'Read this catalogue of the permissions a fine-grained token can hold',
  ),
  readImpersonationToken: tessera(
    'Impersonation Token',
    'Read',
    INSTANCE,
    'List and read impersonation tokens',
  ),
  createImpersonationToken: tessera(
    'Impersonation Token',
    'Create',
    INSTANCE,
    'Create an impersonation token',
  ),
  revokeImpersonationToken: tessera(
    'Impersonation Token',
    'Revoke',
    INSTANCE,
    'Revoke an impersonation token',
  ),
  readResourceAccessToken: gitlab(
    'Resource Access Token',
    'Read',
    PROJECT_AND_GROUP,
    'List and read project and group access tokens',
  ),
  createResourceAccessToken: gitlab(
    'Resource Access Token',
    'Create',
    PROJECT_AND_GROUP,
    'Create a project or group access token',
  ),
  deleteResourceAccessToken: gitlab(
    'Resource Access Token',
    'Delete',
    PROJECT_AND_GROUP,
    'Revoke a project or group access token',
  ),
  rotateResourceAccessToken: gitlab(
    'Resource Access Token',
    'Rotate',
    PROJECT_AND_GROUP,
    'Rotate a project or group access token',
  ),
  inspectToken: tessera('Token', 'Inspect', INSTANCE, 'Identify any token from its secret (administrators)'),
  revokeToken: tessera('Token', 'Revoke', INSTANCE, 'Revoke any token from its secret (administrators)'),
  readAuditEvent: gitlab('Audit Event', 'Read', INSTANCE, 'Read audit events'),
  // Deploy tokens
  readDeployToken: gitlab(
    'Deploy Token',
    'Read',
    ['project', 'group', 'instance'],
    'List and read deploy tokens',
  ),
  createDeployToken: gitlab('Deploy Token', 'Create', PROJECT_AND_GROUP, 'Create a deploy token'),
  deleteDeployToken: gitlab('Deploy Token', 'Delete', PROJECT_AND_GROUP, 'Revoke a deploy token'),
  rotateDeployToken: tessera(
    'Deploy Token',
    'Rotate',
    PROJECT_AND_GROUP,
    'Rotate a deploy token, keeping the old secret for an overlap',
  ),
  // Container registry (GET /jwt/auth)
  pullContainerImage: tessera('Container Image', 'Pull', PROJECT, 'Pull images from a project’s registry'),
  pushContainerImage: tessera('Container Image', 'Push', PROJECT, 'Push images to a project’s registry'),
  deleteContainerRepository: gitlab(
    'Container Repository',
    'Delete',
    PROJECT,
    'Delete images and tags in a project’s registry',
  ),
  readRegistryCatalog: tessera('Registry Catalog', 'Read', INSTANCE, 'List every repository of the registry'),
  // Instance administration
  readMetadata: gitlab('Metadata', 'Read', INSTANCE, 'Read the instance’s version and metadata'),
  readApplicationSetting: tessera('Application Setting', 'Read', INSTANCE, 'Read the instance’s settings'),
  updateApplicationSetting: tessera(
    'Application Setting',
    'Update',
    INSTANCE,
    'Change the instance’s settings',
  ),
  readCloudConnector: tessera('Cloud Connector', 'Read', INSTANCE, 'Read the Cloud Connector status'),
  updateCloudConnector: tessera(
    'Cloud Connector',
    'Update',
    INSTANCE,
    'Activate the instance or set its service account token',
  ),
  syncCloudConnector: tessera('Cloud Connector', 'Sync', INSTANCE, 'Fetch a fresh instance token now'),
  readAddOn: tessera('Add-On', 'Read', INSTANCE, 'List the AI add-ons the license holds'),
  readAddOnSeat: tessera('Add-On Seat', 'Read', INSTANCE, 'List who holds a seat of an add-on'),
  assignAddOnSeat: tessera('Add-On Seat', 'Assign', INSTANCE, 'Give a user a seat of an add-on'),
  unassignAddOnSeat: tessera('Add-On Seat', 'Unassign', INSTANCE, 'Take a seat of an add-on from a user'),
  createInstanceToken: tessera(
    'Instance Token',
    'Create',
    INSTANCE,
    'Exchange a service account’s token for an instance token (SaaS realm)',
  ),
  // AI features
  createCodeSuggestionDirectAccess: gitlab(
    'Code Suggestion Direct Access',
    'Create',
    USER,
    'Get a short token and headers to call the AI gateway directly',
  ),
  createCodeSuggestionToken: tessera(
    'Code Suggestion Token',
    'Create',
    USER,
    'Get a short user token for code suggestions (the older endpoint)',
  ),
  createDuoWorkflow: tessera('Duo Workflow', 'Create', PROJECT, 'Start a workflow on a project'),
  readDuoWorkflow: tessera('Duo Workflow', 'Read', PROJECT, 'Read a workflow'),
  updateDuoWorkflow: tessera('Duo Workflow', 'Update', PROJECT, 'Change a workflow’s state, steps or notes'),
  createDuoWorkflowDirectAccess: tessera(
    'Duo Workflow Direct Access',
    'Create',
    USER,
    'Get the tokens to reach the workflow service directly',
  ),
  // OAuth applications and service accounts
  readOauthApplication: gitlab('OAuth Application', 'Read', ['user', 'instance'], 'List OAuth applications'),
  createOauthApplication: gitlab(
    'OAuth Application',
    'Create',
    ['user', 'instance'],
    'Register an OAuth application',
  ),
  deleteOauthApplication: gitlab(
    'OAuth Application',
    'Delete',
    ['user', 'instance'],
    'Delete an OAuth application',
  ),
  renewSecretOauthApplication: gitlab(
    'OAuth Application',
    'Renew Secret',
    ['user', 'instance'],
    'Renew an OAuth application’s secret',
  ),
  readServiceAccount: gitlab('Service Account', 'Read', ['group', 'instance'], 'List service accounts'),
  createServiceAccount: gitlab(
    'Service Account',
    'Create',
    ['group', 'instance'],
    'Create a service account',
  ),
  // CI/CD
  readPipeline: gitlab('Pipeline', 'Read', PROJECT, 'List and read pipelines and their jobs'),
  createPipeline: gitlab('Pipeline', 'Create', PROJECT, 'Run a pipeline'),
  updatePipeline: gitlab('Pipeline', 'Update', PROJECT, 'Cancel a pipeline'),
  readJob: gitlab('Job', 'Read', PROJECT, 'List and read jobs and their logs'),
  updateJob: gitlab('Job', 'Update', PROJECT, 'Cancel a job'),
  readTrigger: gitlab('Trigger', 'Read', PROJECT, 'List and read pipeline trigger tokens'),
  createTrigger: gitlab('Trigger', 'Create', PROJECT, 'Create a pipeline trigger token'),
  updateTrigger: gitlab('Trigger', 'Update', PROJECT, 'Change a pipeline trigger token’s description'),
  deleteTrigger: gitlab('Trigger', 'Delete', PROJECT, 'Delete a pipeline trigger token'),
  readVariable: gitlab('Variable', 'Read', ['project', 'group', 'instance'], 'List and read CI/CD variables'),
  createVariable: gitlab('Variable', 'Create', ['project', 'group', 'instance'], 'Create a CI/CD variable'),
  updateVariable: gitlab('Variable', 'Update', ['project', 'group', 'instance'], 'Change a CI/CD variable'),
  deleteVariable: gitlab('Variable', 'Delete', ['project', 'group', 'instance'], 'Delete a CI/CD variable'),
  readRunner: gitlab('Runner', 'Read', ['project', 'group', 'user', 'instance'], 'List and read runners'),
  createRunner: gitlab('Runner', 'Create', USER, 'Create a runner and get its authentication token'),
  updateRunner: tessera('Runner', 'Update', ['project', 'group', 'instance'], 'Change a runner'),
  deleteRunner: tessera('Runner', 'Delete', ['project', 'group', 'instance'], 'Delete a runner'),
  resetRunnerAuthenticationToken: tessera(
    'Runner Authentication Token',
    'Reset',
    ['project', 'group', 'instance'],
    'Reset a runner’s authentication token',
  ),
  resetRunnerRegistrationToken: gitlab(
    'Runner Registration Token',
    'Reset',
    ['project', 'instance'],
    'Reset a runner registration token',
  ),
  readJobTokenScope: gitlab(
    'Job Token Scope',
    'Read',
    PROJECT,
    'Read the job token setting and its authorization log',
  ),
  updateJobTokenScope: gitlab('Job Token Scope', 'Update', PROJECT, 'Turn the job token allowlist on or off'),
  readJobTokenScopeAllowlist: gitlab(
    'Job Token Scope Allowlist',
    'Read',
    PROJECT,
    'List the job token allowlist',
  ),
  createJobTokenScopeAllowlist: gitlab(
    'Job Token Scope Allowlist',
    'Create',
    PROJECT,
    'Add a project or group to the job token allowlist',
  ),
  deleteJobTokenScopeAllowlist: gitlab(
    'Job Token Scope Allowlist',
    'Delete',
    PROJECT,
    'Remove a project or group from the job token allowlist',
  ),
} as const satisfies Record<string, Permission>;

export type PermissionKey = keyof typeof PERMISSIONS;

// Not localeCompare: the served order and the rendered page must not depend on the machine's locale.
const byCodePoint = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * The catalogue in a stable order (by resource, then action), as it is served and rendered.
 *
 * @example
 * PERMISSION_CATALOGUE.find((permission) => permission.name === 'download_code');
 */
export const PERMISSION_CATALOGUE: readonly Permission[] = Object.freeze(
  Object.values(PERMISSIONS as Record<string, Permission>).sort(
    (a, b) => byCodePoint(a.resource, b.resource) || byCodePoint(a.action, b.action),
  ),
);

/** Whether GitLab published the entry's resource and action, or Tessera named it. */
export function originOf(permission: Permission): PermissionOrigin {
  return ORIGINS.get(permission.name) ?? 'tessera';
}

/** The entry of that name, if the catalogue has one (a token's stored grants name entries). */
export function permissionNamed(name: string): Permission | undefined {
  return PERMISSION_CATALOGUE.find((permission) => permission.name === name);
}
