import { createHash } from 'node:crypto';

/** The workflow definitions the service can plan; anything else is refused. */
export const WORKFLOW_DEFINITIONS = ['software_development', 'chat'] as const;
export type WorkflowDefinition = (typeof WORKFLOW_DEFINITIONS)[number];

/** The file a `software_development` run commits: one fixed path, so reruns touch nothing else. */
export const WORKFLOW_NOTES_PATH = 'DUO_WORKFLOW_NOTES.md';

/** What the client is asked to do for one step. */
export type StepAction =
  | { kind: 'read_file'; path: string }
  | { kind: 'run_command'; command: string; arguments: string[] }
  | { kind: 'commit_change'; branch: string; path: string; content: string; message: string }
  | { kind: 'add_comment'; body: string };

export interface PlannedStep {
  index: number;
  title: string;
  action: StepAction;
}

const TEST_WORDS = /\b(test|tests|spec|fix|bug|broken|fail\w*)\b/i;
const COMMIT_SUBJECT_LENGTH = 72;

/** True for the definitions {@link planWorkflow} knows. */
export function isWorkflowDefinition(name: string): name is WorkflowDefinition {
  return (WORKFLOW_DEFINITIONS as readonly string[]).includes(name);
}

/**
 * The deterministic planner behind `ExecuteWorkflow`: the same goal, definition and workflow id always
 * yield the same steps, so the service can be tested end to end without a model. Both definitions
 * read context first; `software_development` also looks for the goal's key term, reproduces with the
 * test suite when the goal sounds like a fix, commits a note on the workflow's own branch and
 * comments; `chat` only reads and comments.
 *
 * @example
 * ```ts
 * planWorkflow('fix the login test', 'software_development', '42').map((step) => step.action.kind);
 * // ['read_file', 'run_command', 'run_command', 'run_command', 'run_command', 'commit_change', 'add_comment']
 * ```
 */
export function planWorkflow(
  goal: string,
  definition: WorkflowDefinition,
  workflowId: string,
): PlannedStep[] {
  const term = keyTerm(goal);
  const steps: Omit<PlannedStep, 'index'>[] = [
    { title: 'Read the project README for context', action: { kind: 'read_file', path: 'README.md' } },
    {
      title: 'List the files in the repository',
      action: { kind: 'run_command', command: 'git', arguments: ['ls-files'] },
    },
  ];
  if (definition === 'chat') {
    steps.push({
      title: 'Answer on the workflow',
      action: {
        kind: 'add_comment',
        body: `Duo workflow ${workflowId} (chat): I read README.md and listed the repository's files.${
          term ? ` The question is about "${term}".` : ''
        }`,
      },
    });
    return steps.map((step, index) => ({ index, ...step }));
  }
  if (term) {
    steps.push({
      title: `Find where "${term}" appears`,
      action: { kind: 'run_command', command: 'git', arguments: ['grep', '-n', '--', term] },
    });
  }
  if (TEST_WORDS.test(goal)) {
    steps.push({
      title: 'Run the test suite to reproduce',
      action: { kind: 'run_command', command: 'npm', arguments: ['test'] },
    });
  }
  const branch = workflowBranch(workflowId);
  steps.push(
    {
      title: 'Review the working tree',
      action: { kind: 'run_command', command: 'git', arguments: ['status', '--short'] },
    },
    {
      title: `Commit ${WORKFLOW_NOTES_PATH} on ${branch}`,
      action: {
        kind: 'commit_change',
        branch,
        path: WORKFLOW_NOTES_PATH,
        content: notesFile(goal, workflowId, term),
        message: commitMessage(goal, workflowId),
      },
    },
    {
      title: 'Comment on the workflow',
      action: {
        kind: 'add_comment',
        body: `Duo workflow ${workflowId} (software_development): read README.md, listed the files${
          term ? `, searched for "${term}"` : ''
        } and committed ${WORKFLOW_NOTES_PATH} on branch ${branch}.`,
      },
    },
  );
  return steps.map((step, index) => ({ index, ...step }));
}

/** `duo-workflow/<id>`, with anything a git ref name may not hold replaced by `-`. */
export function workflowBranch(workflowId: string): string {
  const safe = workflowId.replace(/[^A-Za-z0-9_-]/g, '-').slice(0, 100);
  return `duo-workflow/${safe || 'unnamed'}`;
}

/** A short, stable id for a plan, so logs can tie a run to its goal without quoting it. */
export function planId(goal: string): string {
  return createHash('sha256').update(goal).digest('hex').slice(0, 12);
}

function commitMessage(goal: string, workflowId: string): string {
  const subject = `Duo workflow ${workflowId}: ${goal.replace(/\s+/g, ' ').trim()}`;
  return subject.length <= COMMIT_SUBJECT_LENGTH
    ? subject
    : `${subject.slice(0, COMMIT_SUBJECT_LENGTH - 1).trimEnd()}…`;
}

function notesFile(goal: string, workflowId: string, term: string | undefined): string {
  return [
    `# Duo workflow ${workflowId}`,
    '',
    `Goal: ${goal.replace(/\s+/g, ' ').trim()}`,
    '',
    `Key term: ${term ?? '(none)'}`,
    '',
    'Written by the deterministic planner of the Tessera workflow service.',
    '',
  ].join('\n');
}

/** The goal's longest word: a crude but deterministic stand-in for "what is this about". */
function keyTerm(goal: string): string | undefined {
  const words = goal.match(/[A-Za-z_][A-Za-z0-9_]{3,}/g) ?? [];
  return words.reduce<string | undefined>(
    (best, word) => (best === undefined || word.length > best.length ? word : best),
    undefined,
  );
}
