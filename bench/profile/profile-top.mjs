// Top of a .cpuprofile: self and inclusive time per function (file:line), as text.
import { readFileSync } from 'node:fs';
const p = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const n = +(process.argv[3] ?? 30);
const byId = new Map(p.nodes.map((x) => [x.id, x]));
const parent = new Map();
for (const x of p.nodes) for (const c of x.children ?? []) parent.set(c, x.id);
const selfCount = new Map();
for (const s of p.samples) selfCount.set(s, (selfCount.get(s) ?? 0) + 1);
const total = p.samples.length;
const label = (x) => {
  const f = x.callFrame;
  const url = f.url.replace(/^.*\/(node_modules|wt\/perf)\//, '$1/').replace('file://', '');
  return `${f.functionName || '(anon)'} ${url}:${f.lineNumber + 1}`;
};
const self = new Map(),
  incl = new Map();
for (const [id, c] of selfCount) {
  const x = byId.get(id);
  self.set(label(x), (self.get(label(x)) ?? 0) + c);
  const seen = new Set();
  for (let cur = id; cur !== undefined; cur = parent.get(cur)) {
    const l = label(byId.get(cur));
    if (seen.has(l)) continue;
    seen.add(l);
    incl.set(l, (incl.get(l) ?? 0) + c);
  }
}
const pct = (c) => ((100 * c) / total).toFixed(1).padStart(5) + '%';
console.log(`samples ${total}\n-- self --`);
for (const [l, c] of [...self].sort((a, b) => b[1] - a[1]).slice(0, n)) console.log(pct(c), l);
console.log('-- inclusive --');
for (const [l, c] of [...incl].sort((a, b) => b[1] - a[1]).slice(0, +(process.argv[4] ?? n)))
  console.log(pct(c), l);
