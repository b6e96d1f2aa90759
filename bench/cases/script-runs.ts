// Overhead of one script run in the sandbox: a trivial script (`return 1`),
// run back to back, with 4 in flight, and spaced out (a sparse trigger finds a
// spare context ready). Moved here from the test suite: it is a measurement.
import { setTimeout as delay } from 'node:timers/promises';
import { ScriptRuntime } from '../../src/scripts/index.js';
import { machine } from '../lib/machine.js';
import { flags, report } from '../lib/options.js';
import { trivialHost as host } from '../lib/trivial-host.js';

const opt = flags({ runs: 2000, sparse: 50 });
const runtime = new ScriptRuntime({ memoryMb: 32 });
const trivial = () => runtime.run({ source: 'return 1;', timeoutMs: 5000, host });

for (let i = 0; i < 100; i++) await trivial();
let t = performance.now();
for (let i = 0; i < opt.runs; i++) await trivial();
const sequentialPerSecond = opt.runs / ((performance.now() - t) / 1000);

t = performance.now();
await Promise.all(Array.from({ length: 4 }, async () => {
  for (let i = 0; i < opt.runs / 4; i++) await trivial();
}));
const fourInFlightPerSecond = opt.runs / ((performance.now() - t) / 1000);

let sparse = 0;
for (let i = 0; i < opt.sparse; i++) {
  await delay(2); // a pause between runs is the thing measured here, not a wait for an event
  const s = performance.now();
  await trivial();
  sparse += performance.now() - s;
}
runtime.dispose();
report({
  bench: 'script-runs',
  options: opt,
  machine: machine(),
  metrics: { sequentialPerSecond, fourInFlightPerSecond, sparseRunUs: (sparse / opt.sparse) * 1000 },
  checks: {},
});
