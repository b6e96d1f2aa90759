// Keeps docs/configuration.md honest: its examples must load.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadProject } from '../../src/config/index.js';
import { writeProject } from './helpers.js';

const doc = readFileSync(new URL('../../docs/configuration.md', import.meta.url), 'utf8');
const examples = [...doc.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]!);

describe('docs/configuration.md', () => {
  it('full example loads', () => {
    const env = { ERP_KEY: 'k', WEATHER_PW: 'w', HIST_PW: 'h', MES_PW: 'm', SMTP_CLIENT_SECRET: 's' };
    const dir = writeProject(examples[0]!, { 'report.ts': 'export {};', 'shared/format.js': 'export {};' });
    const p = loadProject(dir, env);
    expect(Object.keys(p.instances.Pump1!.scripts)).toEqual(['report']);
    expect(p.externalSystems.Weather!.auth).toEqual({ type: 'basic', username: 'plant', password: 'w' });
    expect(p.smtp).toMatchObject({ port: 587, tls: 'StartTLS', auth: { type: 'OAuth2', clientSecret: 's' } });
  });

  it('anchor example loads', () => {
    const p = loadProject(writeProject(examples.find((e) => e.includes('<<:'))!), {});
    expect(p.externalSystems.MES!.retry).toEqual({ maxRetries: 3, retryIntervalMs: 10_000 });
  });

  it('inboundApi example loads', () => {
    const p = loadProject(writeProject(examples.find((e) => e.startsWith('inboundApi:'))!, { 'get-recipe.ts': 'return [];', 'ping.js': '' }), { MES_DB_PASSWORD: 'mes-db-pw' });
    expect(Object.keys(p.inboundApi.methods)).toEqual(['GetRecipe', 'Ping']);
    expect(Object.keys(p.inboundApi.databases)).toEqual(['mes', 'scratch']);
    expect(p.inboundApi.methods.GetRecipe!.timeoutMs).toBe(10_000);
  });
});
