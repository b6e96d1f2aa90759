// The project of the Inbound API benches (cases/inbound-api.ts): site
// `plant1` with instance `Pump1` and its call-triggered script `add`, and two
// methods for the key `bench`: `Add` (computed at central) and `Routed`
// (the same sum computed by `add` at the site through Route.To).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';

const SUM = { parameters: { a: { type: 'Integer' }, b: { type: 'Integer' } }, returns: { type: 'Integer' }, apiKeys: ['bench'], timeout: '5s' } as const;

export function writeProject(dir: string): string {
  mkdirSync(join(dir, 'scripts'), { recursive: true });
  const project = {
    sites: { plant1: {} },
    instances: { Pump1: { site: 'plant1', scripts: { add: { file: 'add.js', triggers: ['call'] } } } },
    inboundApi: { methods: { Add: { ...SUM, script: 'sum.js' }, Routed: { ...SUM, script: 'routed.js' } } },
  };
  writeFileSync(join(dir, 'scadalink.yaml'), stringify(project));
  writeFileSync(join(dir, 'scripts', 'add.js'), 'return Parameters.a + Parameters.b;');
  writeFileSync(join(dir, 'scripts', 'sum.js'), 'return Parameters.a + Parameters.b;');
  writeFileSync(join(dir, 'scripts', 'routed.js'), "return await Route.To('Pump1').Call('add', { a: Parameters.a, b: Parameters.b });");
  return dir;
}
