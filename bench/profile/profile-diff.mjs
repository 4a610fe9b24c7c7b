// Where one request of case B costs more than one of case A: self time per request (µs) of each
// function in two .cpuprofile files, given each run's request count.
// `node profile-diff.mjs a.cpuprofile <requests of a> b.cpuprofile <requests of b> [rows]`
import { readFileSync } from 'node:fs';

function selfMicros(file) {
  const profile = JSON.parse(readFileSync(file, 'utf8'));
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const self = new Map();
  profile.samples.forEach((id, index) => {
    const frame = byId.get(id).callFrame;
    const url = frame.url.replace(/^.*\/(node_modules|src)\//, '$1/');
    const label = `${frame.functionName || '(anon)'} ${url}`;
    self.set(label, (self.get(label) ?? 0) + (profile.timeDeltas[index] ?? 0));
  });
  return self;
}

const [fileA, requestsA, fileB, requestsB, rows = '30'] = process.argv.slice(2);
const a = selfMicros(fileA);
const b = selfMicros(fileB);
const perRequest = (map, label, requests) => (map.get(label) ?? 0) / Number(requests);
const labels = new Set([...a.keys(), ...b.keys()]);
labels.delete('(idle) ');
const total = (map, requests) =>
  [...map].filter(([label]) => label !== '(idle) ').reduce((sum, [, us]) => sum + us, 0) / Number(requests);
console.log(`busy µs per request: A ${total(a, requestsA).toFixed(1)}, B ${total(b, requestsB).toFixed(1)}`);
const rowsOut = [...labels]
  .map((label) => [label, perRequest(b, label, requestsB) - perRequest(a, label, requestsA)])
  .sort((x, y) => y[1] - x[1])
  .slice(0, Number(rows));
for (const [label, delta] of rowsOut) console.log(`${delta.toFixed(2).padStart(7)} µs  ${label}`);
