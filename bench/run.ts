// `npm run bench`: every benchmark, each as a ratio to a baseline measured in the same run.
// `--short` (CI) runs each for a second to prove it works; the ratios are then only indicative.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { patAuthentication } from './cases/pat-authentication.ts';
import { jwtAnchors } from './cases/jwt-anchors.ts';
import { patScale } from './cases/pat-scale.ts';
import { registryAuth } from './cases/registry-auth.ts';
import { sdkVerify } from './cases/sdk-verify.ts';
import { oauthRefresh } from './cases/oauth-refresh.ts';
import { idTokenMinting } from './cases/id-token-minting.ts';
import { jobTokenAuthentication } from './cases/job-token-auth.ts';
import { SHORT, verdictOf, type BenchResult } from './lib/measure.ts';

const ALL_CASES: Record<string, () => Promise<BenchResult | BenchResult[]>> = {
  'pat-authentication': patAuthentication,
  'jwt-anchors': jwtAnchors,
  'pat-scale': patScale,
  'registry-auth': registryAuth,
  'sdk-verify': sdkVerify,
  'oauth-refresh': oauthRefresh,
  'id-token-minting': idTokenMinting,
  'job-token-auth': jobTokenAuthentication,
};

/** `--only <case>[,<case>…]` (names as the files in `cases/`) runs those cases alone, for profiling. */
function selectedCases(): Array<() => Promise<BenchResult | BenchResult[]>> {
  const at = process.argv.indexOf('--only');
  if (at === -1) return Object.values(ALL_CASES);
  const names = (process.argv[at + 1] ?? '').split(',').filter(Boolean);
  const unknown = names.filter((name) => !(name in ALL_CASES));
  if (names.length === 0 || unknown.length > 0) {
    console.error(`--only takes case names from: ${Object.keys(ALL_CASES).join(', ')}`);
    process.exit(2);
  }
  return names.map((name) => ALL_CASES[name]!);
}

const CASES = selectedCases();

/** Anchors the issue names that this run cannot measure, and why: written next to the results. */
const NOT_MEASURED: string[] = [];

const results: BenchResult[] = [];
for (const run of CASES) {
  for (const result of [await run()].flat()) {
    results.push(result);
    const target =
      result.target === 0
        ? 'anchor, no target'
        : `target ${result.lowerIsBetter ? '≤' : '≥'} ${result.target}`;
    console.log(
      `${result.name}: ${result.value.toFixed(result.value < 100 ? 2 : 0)} ${result.unit} = ${result.ratio.toFixed(2)} × ${result.baselineName} ` +
        `(${result.baseline.toFixed(result.baseline < 100 ? 2 : 0)})${spreadOf(result, ', slices ')}; ${target} — ${verdictOf(result)}`,
    );
  }
}

const dir = join(process.cwd(), 'bench');
mkdirSync(dir, { recursive: true });
writeFileSync(
  join(dir, 'results.json'),
  JSON.stringify(
    { short: SHORT, date: new Date().toISOString(), results, notMeasured: NOT_MEASURED },
    null,
    2,
  ) + '\n',
);
const figure = (n: number) => n.toFixed(n < 100 ? 2 : 0);
/** `0.62–0.71`: the lowest and highest ratio of an interleaved case's rounds, when it has them. */
function spreadOf(result: BenchResult, before = ''): string {
  const min = result.extra?.ratio_min;
  const max = result.extra?.ratio_max;
  return min === undefined || max === undefined ? '' : `${before}${min.toFixed(2)}–${max.toFixed(2)}`;
}
const table = [
  '| benchmark | value | baseline | ratio | spread of slices | target | verdict |',
  '| --- | --- | --- | --- | --- | --- | --- |',
  ...results.map(
    (r) =>
      `| ${r.name} | ${figure(r.value)} ${r.unit} | ${r.baselineName}: ${figure(r.baseline)} | ${r.ratio.toFixed(2)} | ${spreadOf(r) || '—'} | ${r.target === 0 ? '—' : `${r.lowerIsBetter ? '≤' : '≥'} ${r.target}`} | ${verdictOf(r)} |`,
  ),
  '',
  ...NOT_MEASURED.map((line) => `Not measured: ${line}.`),
].join('\n');
writeFileSync(join(dir, 'results.md'), `${table}\n`);
console.log(`\nwrote bench/results.json and bench/results.md${SHORT ? ' (short mode)' : ''}`);
