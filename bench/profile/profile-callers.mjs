// Who calls a function in a .cpuprofile, by inclusive share: `node profile-callers.mjs x.cpuprofile <name>`.
import { readFileSync } from 'node:fs';
const p = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const name = process.argv[3];
const depth = +(process.argv[4] ?? 3);
const byId = new Map(p.nodes.map((x) => [x.id, x]));
const parent = new Map();
for (const x of p.nodes) for (const c of x.children ?? []) parent.set(c, x.id);
const count = new Map();
for (const s of p.samples) count.set(s, (count.get(s) ?? 0) + 1);
const inclusive = new Map();
const add = (id, c) => {
  for (let cur = id; cur !== undefined; cur = parent.get(cur))
    inclusive.set(cur, (inclusive.get(cur) ?? 0) + c);
};
for (const [id, c] of count) add(id, c);
const label = (x) =>
  `${x.callFrame.functionName || '(anon)'} ${x.callFrame.url.replace(/^.*\/(node_modules|src)\//, '$1/')}`;
const chains = new Map();
for (const x of p.nodes) {
  if (x.callFrame.functionName !== name) continue;
  const chain = [];
  for (let cur = parent.get(x.id); cur !== undefined && chain.length < depth; cur = parent.get(cur))
    chain.push(label(byId.get(cur)));
  const key = chain.join(' ← ');
  chains.set(key, (chains.get(key) ?? 0) + (inclusive.get(x.id) ?? 0));
}
for (const [k, c] of [...chains].sort((a, b) => b[1] - a[1]).slice(0, 10))
  console.log(((100 * c) / p.samples.length).toFixed(1).padStart(5) + '%', k);
