/* global process, console, performance */
// Times loading a generated project with N instances (issue 9, point 8):
//   npm run build && node tools/config-load-bench.mjs 10000 20000 100000
// Each instance is one entry of `instances` with one attribute; the figure is
// the wall time of loadProject (YAML parse, duplicate-key check, schema, resolve).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadProject } from '../dist/config/index.js';

/** The text of a project with `n` instances on one site. */
export function largeProject(n) {
  const lines = ['sites:', '  plant1: {}', 'instances:'];
  for (let i = 0; i < n; i++) lines.push(`  Pump${i}:`, '    site: plant1', '    attributes:', '      Flow: { type: number }');
  return `${lines.join('\n')}\n`;
}

for (const arg of process.argv.slice(2)) {
  const n = Number(arg);
  const dir = mkdtempSync(join(tmpdir(), 'scadalink-bench-'));
  try {
    writeFileSync(join(dir, 'scadalink.yaml'), largeProject(n));
    const started = performance.now();
    const project = loadProject(dir, {});
    const ms = performance.now() - started;
    console.log(`${n} instances: ${(ms / 1000).toFixed(2)} s (${Object.keys(project.instances).length} loaded)`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
