import { randomUUID } from 'node:crypto';
import { Command } from 'commander';
import { loadSettings } from '../config/settings.ts';
import {
  createWorkflowClient,
  type WorkflowCallContext,
} from '../services/workflow-service/workflow-client.ts';
import type { Action } from '../services/workflow-service/workflow-protos.ts';
import { output } from './cli-context.ts';

interface WorkflowClientOptions {
  server?: string;
  goal: string;
  workflowId?: string;
  workflowDefinition: string;
  userId: string;
  instanceId?: string;
  realm?: string;
  json?: boolean;
}

/** What one run of the client saw; tokens are deliberately not part of it. */
export interface WorkflowClientResult {
  /** Expiry of the user token GenerateToken returned (epoch seconds), or null when one was given. */
  userTokenExpiresAt: number | null;
  plan: string[];
  actions: { requestId: string; kind: string; detail: string }[];
  summary: string;
}

/**
 * `tessera workflow-client`: seed 001's "test locally" client. Exchanges an instance token for a user
 * token (GenerateToken), runs a workflow with it (ExecuteWorkflow) and prints the streamed plan.
 * Tokens come from the environment, never the command line (where `ps` would show them):
 * `DUO_WORKFLOW_CLIENT_TOKEN` (instance token) or `DUO_WORKFLOW_SERVICE_TOKEN` (a user token, which
 * skips GenerateToken).
 */
export function workflowClientCommand(): Command {
  return new Command('workflow-client')
    .description('GenerateToken with an instance token, then ExecuteWorkflow, printing the streamed plan')
    .option(
      '--server <host:port>',
      'workflow service address (default: this host, TESSERA_WORKFLOW_SERVICE_PORT)',
    )
    .option('--goal <text>', 'what the workflow should achieve', 'Explain how this project is tested')
    .option('--workflow-id <id>', 'workflow id (default: a random one)')
    .option('--workflow-definition <name>', 'workflow definition', 'software_development')
    .option('--user-id <id>', 'x-gitlab-global-user-id', 'workflow-client')
    .option('--instance-id <id>', 'x-gitlab-instance-id (checked against the token when sent)')
    .option('--realm <realm>', 'x-gitlab-realm (checked against the token when sent)')
    .option('--json', 'print JSON')
    .action(async (options: WorkflowClientOptions) => {
      const result = await runWorkflowClient({
        ...options,
        server: options.server ?? defaultServer(),
        instanceToken: process.env.DUO_WORKFLOW_CLIENT_TOKEN,
        userToken: process.env.DUO_WORKFLOW_SERVICE_TOKEN,
      });
      output(options.json, result, () => describe(result));
    });
}

/** The client's work, apart from argument parsing and printing. */
export async function runWorkflowClient(
  options: Omit<WorkflowClientOptions, 'json'> & {
    server: string;
    instanceToken?: string;
    userToken?: string;
  },
): Promise<WorkflowClientResult> {
  if (!options.userToken && !options.instanceToken) {
    throw new Error(
      'set DUO_WORKFLOW_CLIENT_TOKEN (an instance token) or DUO_WORKFLOW_SERVICE_TOKEN (a user token)',
    );
  }
  const context: WorkflowCallContext = {
    globalUserId: options.userId,
    instanceId: options.instanceId,
    realm: options.realm,
  };
  const client = createWorkflowClient(options.server);
  try {
    let userToken = options.userToken;
    let userTokenExpiresAt: number | null = null;
    if (!userToken) {
      const generated = await client.generateToken(
        options.instanceToken,
        context,
        options.workflowDefinition,
      );
      userToken = generated.token;
      userTokenExpiresAt = generated.expiresAt;
    }
    const actions = await client.executeWorkflow(userToken, context, {
      workflowId: options.workflowId ?? randomUUID(),
      goal: options.goal,
      workflowDefinition: options.workflowDefinition,
    });
    return {
      userTokenExpiresAt,
      plan: actions.find((action) => action.plan)?.plan?.steps.map((step) => step.title) ?? [],
      actions: actions.filter((action) => action.runCommand || action.readFile).map(summarise),
      summary: actions.find((action) => action.finished)?.finished?.summary ?? '',
    };
  } finally {
    client.close();
  }
}

function summarise(action: Action): WorkflowClientResult['actions'][number] {
  if (action.readFile)
    return { requestId: action.requestId, kind: 'read_file', detail: action.readFile.path };
  const command = action.runCommand!;
  return {
    requestId: action.requestId,
    kind: 'run_command',
    detail: [command.command, ...command.arguments].join(' '),
  };
}

function describe(result: WorkflowClientResult): string {
  const lines = [];
  if (result.userTokenExpiresAt !== null) {
    lines.push(`user token issued, expires ${new Date(result.userTokenExpiresAt * 1000).toISOString()}`);
  }
  lines.push('plan:', ...result.plan.map((title, index) => `  ${index + 1}. ${title}`));
  lines.push(
    'actions:',
    ...result.actions.map((action) => `  [${action.requestId}] ${action.kind} ${action.detail}`),
  );
  lines.push(`finished: ${result.summary}`);
  return lines.join('\n');
}

function defaultServer(): string {
  const settings = loadSettings();
  const host = settings.host === '0.0.0.0' || settings.host === '::' ? '127.0.0.1' : settings.host;
  return `${host.includes(':') ? `[${host}]` : host}:${settings.rolePorts['workflow-service']}`;
}
