import { describe, expect, it } from 'vitest';
import type { AiWorkflowStatus } from '../../src/store/ai-workflows.tables.ts';
import { canApply, EVENT_ROLE, STATUS_EVENTS, type StatusEvent } from '../../src/workflows/workflow-rules.ts';

const STATUSES: AiWorkflowStatus[] = ['created', 'running', 'finished', 'failed', 'canceled', 'timed_out'];

describe('workflow status changes, as a table', () => {
  // Each row: the event, then whether it applies from created, running, finished, failed, canceled, timed_out.
  const table: Array<[StatusEvent, boolean[]]> = [
    ['start', [true, true, false, false, false, false]],
    ['finish', [false, true, false, false, false, false]],
    ['fail', [true, true, false, false, false, false]],
    ['cancel', [true, true, false, false, false, false]],
    ['resume', [false, false, false, true, true, true]],
  ];

  it.each(table)('%s', (event, expected) => {
    expect(STATUSES.map((status) => canApply(event, status))).toEqual(expected);
  });

  it('covers every event, and a finished workflow is final', () => {
    expect(table.map(([event]) => event)).toEqual([...STATUS_EVENTS]);
    expect(STATUS_EVENTS.some((event) => canApply(event, 'finished'))).toBe(false);
  });

  it('the executor reports, the owner manages', () => {
    expect(EVENT_ROLE).toEqual({
      start: 'executor',
      finish: 'executor',
      fail: 'executor',
      cancel: 'owner',
      resume: 'owner',
    });
  });
});
