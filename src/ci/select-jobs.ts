import type { JobDefinition, PipelineConfig } from './pipeline-config.ts';
import { evaluateRuleExpression } from './rule-expression.ts';

/**
 * The jobs a pipeline creates: a job without `rules` always runs; with `rules`, the first rule whose
 * `if` matches decides (`when: never` keeps it out), and no match keeps it out, as on the platform.
 *
 * @example
 * selectJobs(config, { CI_COMMIT_REF_NAME: 'main', CI_PIPELINE_SOURCE: 'push' });
 */
export function selectJobs(
  config: PipelineConfig,
  variables: Readonly<Record<string, string | undefined>>,
): JobDefinition[] {
  return config.jobs.filter((job) => {
    if (!job.rules) return true;
    const rule = job.rules.find((r) => !r.if || evaluateRuleExpression(r.if, variables));
    return rule !== undefined && rule.when !== 'never';
  });
}
