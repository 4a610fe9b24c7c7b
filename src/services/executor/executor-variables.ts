import { ExecutorError } from './executor-error.ts';

/** What a run needs, read once from the environment. Tokens stay in this object, never in argv. */
export interface ExecutorVariables {
  local: boolean;
  /** Composite OAuth token (remote) or the person's own OAuth token (`--local`): REST API and git push. */
  oauthToken: string;
  /** Workflow-service user token: `ExecuteWorkflow`. */
  serviceToken: string;
  /** `host:port` of the workflow service. */
  serviceServer: string;
  workflowId: string;
  goal: string;
  definition: string;
  /** The instance's base URL for the REST API, without a trailing slash. */
  apiBaseUrl: string;
  /** The instance's base URL for git over HTTP, without a trailing slash. */
  gitBaseUrl: string;
  /** Username sent with the OAuth token over git basic auth (`oauth`). */
  gitUser: string;
  /** `group/project`. */
  projectPath: string;
  /** The CI job's own token, to clone (remote runs only). */
  jobToken?: string;
  instanceId?: string;
  globalUserId?: string;
  realm?: string;
}

const COMMON = [
  'GITLAB_OAUTH_TOKEN',
  'DUO_WORKFLOW_SERVICE_TOKEN',
  'DUO_WORKFLOW_SERVICE_SERVER',
  'DUO_WORKFLOW_WORKFLOW_ID',
  'DUO_WORKFLOW_GOAL',
  'DUO_WORKFLOW_DEFINITION',
  'GITLAB_BASE_URL',
  'GITLAB_PROJECT_PATH',
] as const;
/** A CI job also clones with its own token, and is told where git lives. */
const REMOTE_ONLY = ['CI_JOB_TOKEN', 'DUO_WORKFLOW_GIT_HTTP_BASE_URL'] as const;

const PROJECT_PATH = /^[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+)+$/;
const SERVER = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):\d{1,5}$/;

/**
 * Reads and checks the job variables the instance set (or, with `local`, the ones an IDE sets),
 * naming every missing or malformed variable in one error. Never echoes a variable's value.
 *
 * @example
 * ```ts
 * const variables = readExecutorVariables(process.env, { local: false });
 * ```
 */
export function readExecutorVariables(
  env: Readonly<Record<string, string | undefined>>,
  options: { local: boolean },
): ExecutorVariables {
  const value = (name: string) => {
    const raw = env[name];
    return raw === undefined || raw.trim() === '' ? undefined : raw.trim();
  };
  const required = options.local ? COMMON : [...COMMON, ...REMOTE_ONLY];
  const missing = required.filter((name) => value(name) === undefined);
  if (missing.length > 0) {
    throw new ExecutorError(
      `missing variable${missing.length > 1 ? 's' : ''} ${missing.join(', ')}${
        options.local ? '' : ' (is this a workflow job? use --local to run in your own checkout)'
      }`,
    );
  }
  const problems: string[] = [];
  const apiBaseUrl = baseUrl(value('GITLAB_BASE_URL')!, 'GITLAB_BASE_URL', problems);
  const gitBaseUrl = baseUrl(
    value('DUO_WORKFLOW_GIT_HTTP_BASE_URL') ?? value('GITLAB_BASE_URL')!,
    'DUO_WORKFLOW_GIT_HTTP_BASE_URL',
    problems,
  );
  const serviceServer = value('DUO_WORKFLOW_SERVICE_SERVER')!;
  if (!SERVER.test(serviceServer)) problems.push('DUO_WORKFLOW_SERVICE_SERVER must be host:port');
  const projectPath = value('GITLAB_PROJECT_PATH')!;
  if (!PROJECT_PATH.test(projectPath) || projectPath.split('/').some((part) => /^\.+$/.test(part))) {
    problems.push('GITLAB_PROJECT_PATH must be a project path like group/project');
  }
  const workflowId = value('DUO_WORKFLOW_WORKFLOW_ID')!;
  if (workflowId.length > 255) problems.push('DUO_WORKFLOW_WORKFLOW_ID is too long');
  if (problems.length > 0) throw new ExecutorError(`invalid variables: ${problems.join('; ')}`);
  return {
    local: options.local,
    oauthToken: value('GITLAB_OAUTH_TOKEN')!,
    serviceToken: value('DUO_WORKFLOW_SERVICE_TOKEN')!,
    serviceServer,
    workflowId,
    goal: value('DUO_WORKFLOW_GOAL')!,
    definition: value('DUO_WORKFLOW_DEFINITION')!,
    apiBaseUrl,
    gitBaseUrl,
    gitUser: value('DUO_WORKFLOW_GIT_HTTP_USER') ?? 'oauth',
    projectPath,
    jobToken: options.local ? undefined : value('CI_JOB_TOKEN'),
    instanceId: value('DUO_WORKFLOW_INSTANCE_ID'),
    globalUserId: value('DUO_WORKFLOW_GLOBAL_USER_ID'),
    realm: value('DUO_WORKFLOW_SERVICE_REALM'),
  };
}

/** The secrets among the variables, for {@link redact}. */
export function secretsOf(variables: ExecutorVariables): string[] {
  return [variables.oauthToken, variables.serviceToken, variables.jobToken].filter(
    (secret): secret is string => secret !== undefined,
  );
}

function baseUrl(raw: string, name: string, problems: string[]): string {
  try {
    const url = new URL(raw);
    if ((url.protocol === 'http:' || url.protocol === 'https:') && !url.username && !url.password) {
      return url.toString().replace(/\/+$/, '');
    }
  } catch {
    // Reported below like any other malformed URL.
  }
  // Credentials in a URL would end up in argv and .git/config: refused, like any non-HTTP URL.
  problems.push(`${name} must be an http(s) URL without credentials`);
  return '';
}
