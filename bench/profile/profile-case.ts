// `node bin/run-ts.mjs bench/profile/profile-case.ts <pat|job|health> [out.cpuprofile]`: one HTTP case
// under autocannon (warm-up first), with the CPU profiler running only during the measured load, so
// the profile shows the request path and not the start-up. Read it with `profile-top.mjs`.
import { Session } from 'node:inspector/promises';
import { writeFileSync } from 'node:fs';
import autocannon from 'autocannon';
import { benchInstance } from '../lib/bench-instance.ts';

const which = process.argv[2] ?? 'pat';
const out = process.argv[3] ?? `${which}.cpuprofile`;
const instance = await benchInstance();
const targets: Record<string, [string, Record<string, string>]> = {
  health: [`${instance.url}/-/health`, {}],
  pat: [`${instance.url}/api/v4/user`, { 'PRIVATE-TOKEN': instance.token }],
  job: [`${instance.url}/api/v4/job`, { 'JOB-TOKEN': instance.jobToken }],
};
const target = targets[which];
if (!target) throw new Error(`unknown case ${which}: one of ${Object.keys(targets).join(', ')}`);
const load = (duration: number) =>
  autocannon({ url: target[0], headers: target[1], connections: 16, pipelining: 1, duration });
try {
  await load(2);
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 200 });
  await session.post('Profiler.start');
  const result = await load(6);
  const { profile } = await session.post('Profiler.stop');
  writeFileSync(out, JSON.stringify(profile));
  console.log(
    `${which}: ${result.requests.average} req/s, ${result.requests.total} requests, ${result.non2xx} non-2xx; wrote ${out}`,
  );
} finally {
  await instance.stop();
}
