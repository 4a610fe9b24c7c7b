// `npm run bench`: every benchmark, each as a ratio to a baseline measured in the same run.
// `--short` (CI) runs each for a second to prove it works; the ratios are then only indicative.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { patAuthentication } from './cases/pat-authentication.ts';
import { SHORT, type BenchResult } from './lib/measure.ts';

const CASES: Array<() => Promise<BenchResult>> = [patAuthentication];

const results: BenchResult[] = [];
for (const run of CASES) {
  const result = await run();
  results.push(result);
  const verdict = result.ratio >= result.target ? 'meets' : 'BELOW';
  console.log(
    `${result.name}: ${result.value.toFixed(0)} ${result.unit} = ${result.ratio.toFixed(2)} × ${result.baselineName} ` +
      `(${result.baseline.toFixed(0)}); target ≥ ${result.target} — ${verdict}`,
  );
}

const dir = join(process.cwd(), 'bench');
mkdirSync(dir, { recursive: true });
writeFileSync(
  join(dir, 'results.json'),
  JSON.stringify({ short: SHORT, date: new Date().toISOString(), results }, null, 2) + '\n',
);
const table = [
  '| benchmark | value | baseline | ratio | target |',
  '| --- | --- | --- | --- | --- |',
  ...results.map(
    (r) =>
      `| ${r.name} | ${r.value.toFixed(0)} ${r.unit} | ${r.baselineName}: ${r.baseline.toFixed(0)} | ${r.ratio.toFixed(2)} | ≥ ${r.target} |`,
  ),
].join('\n');
writeFileSync(join(dir, 'results.md'), `${table}\n`);
console.log(`\nwrote bench/results.json and bench/results.md${SHORT ? ' (short mode)' : ''}`);
