import { createHash } from 'node:crypto';

/** What the client is asked to do for one step. */
export type StepAction =
  { kind: 'read_file'; path: string } | { kind: 'run_command'; command: string; arguments: string[] };

export interface PlannedStep {
  index: number;
  title: string;
  action: StepAction;
}

const TEST_WORDS = /\b(test|tests|spec|fix|bug|broken|fail\w*)\b/i;

/**
 * The deterministic planner behind `ExecuteWorkflow`: the same goal always yields the same steps, so
 * the service can be tested end to end without a model. It reads context, looks for the goal's key
 * term, reproduces with the test suite when the goal sounds like a fix, and lists what changed.
 */
export function planWorkflow(goal: string): PlannedStep[] {
  const steps: Omit<PlannedStep, 'index'>[] = [
    { title: 'Read the project README for context', action: { kind: 'read_file', path: 'README.md' } },
    {
      title: 'List the files in the repository',
      action: { kind: 'run_command', command: 'git', arguments: ['ls-files'] },
    },
  ];
  const term = keyTerm(goal);
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
  steps.push({
    title: 'Review the working tree',
    action: { kind: 'run_command', command: 'git', arguments: ['status', '--short'] },
  });
  return steps.map((step, index) => ({ index, ...step }));
}

/** A short, stable id for a plan, so logs can tie a run to its goal without quoting it. */
export function planId(goal: string): string {
  return createHash('sha256').update(goal).digest('hex').slice(0, 12);
}

/** The goal's longest word: a crude but deterministic stand-in for "what is this about". */
function keyTerm(goal: string): string | undefined {
  const words = goal.match(/[A-Za-z_][A-Za-z0-9_]{3,}/g) ?? [];
  return words.reduce<string | undefined>(
    (best, word) => (best === undefined || word.length > best.length ? word : best),
    undefined,
  );
}
