// The site's end of Route.To (issue 11 point 5) on a real site runtime and
// store: what a RouteCall, GetAttributes or SetAttributes command does, and
// the all-or-nothing batch set when the store itself refuses a write.
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadProject } from '../../src/config/index.js';
import { SiteRuntime } from '../../src/site/index.js';
import { routeCommand } from '../../src/site/link/route.js';
import type { SiteCommand } from '../../src/transport/index.js';
import { tempDir } from '../support/index.js';
import { writeProject } from '../support/project.js';

const logger = pino({ level: 'silent' });
const LIMIT = 1_024;

describe('issue 11 point 5: Route.To commands at the site', () => {
  let tmp: ReturnType<typeof tempDir>;
  let rt: SiteRuntime;

  beforeEach(() => {
    tmp = tempDir();
    const dir = writeProject(
      join(tmp.dir, 'project'),
      {
        sites: { plant1: {} },
        instances: {
          Pump1: {
            site: 'plant1',
            attributes: { Flow: { type: 'number', initial: 10 }, Mode: { type: 'string', initial: 'auto' } },
            alarms: { HighFlow: { attribute: 'Flow', kind: 'high', limit: 100, deadband: 5 } },
            scripts: { echo: { file: 'echo.js', triggers: ['call'] } },
          },
        },
      },
      { 'echo.js': 'return Parameters;' },
    );
    rt = new SiteRuntime({ project: loadProject(dir), dataDir: join(tmp.dir, 'data'), logger, scriptPayloadLimitBytes: LIMIT });
    rt.start();
  });

  afterEach(async () => {
    await rt.stop(1_000);
    tmp.cleanup();
  });

  const send = (command: Partial<SiteCommand>) => routeCommand(rt, { correlationId: 'c1', ...command } as SiteCommand);
  const stored = (): Record<string, unknown> =>
    Object.fromEntries(
      (rt.store.db.prepare("SELECT Attribute, Value FROM attribute_values WHERE Instance = 'Pump1'").all() as { Attribute: string; Value: string }[]).map((r) => [
        r.Attribute,
        JSON.parse(r.Value),
      ]),
    );

  it('a RouteCall answers the script value as JSON; a Retry is not a Route.To command', async () => {
    expect(await send({ routeCall: { instance: 'Pump1', script: 'echo', paramsJson: '{"a":[1,"x"]}', timeoutMs: 5_000 } })).toEqual({
      ok: true,
      routeResult: { valueJson: '{"a":[1,"x"]}' },
    });
    expect(send({ retryParked: { trackedOperationId: 'x', operator: 'ops' } })).toBeUndefined();
  });

  it('a RouteCall refuses parameters over the payload limit, invalid JSON and non-objects before any run', async () => {
    const before = rt.scriptStats.executions;
    const big = JSON.stringify({ blob: 'x'.repeat(LIMIT) });
    await expect(send({ routeCall: { instance: 'Pump1', script: 'echo', paramsJson: big, timeoutMs: 5_000 } })).rejects.toMatchObject({
      code: 'SCRIPT_PAYLOAD_TOO_LARGE',
    });
    await expect(send({ routeCall: { instance: 'Pump1', script: 'echo', paramsJson: '{"a":', timeoutMs: 5_000 } })).rejects.toMatchObject({ code: 'INVALID_REQUEST' });
    await expect(send({ routeCall: { instance: 'Pump1', script: 'echo', paramsJson: '[1]', timeoutMs: 5_000 } })).rejects.toMatchObject({ code: 'INVALID_REQUEST' });
    await expect(send({ routeCall: { instance: 'Pump1', script: 'echo', paramsJson: '{}', timeoutMs: 0 } })).rejects.toMatchObject({ code: 'INVALID_REQUEST' });
    await expect(send({ routeCall: { instance: 'Nope', script: 'echo', paramsJson: '{}', timeoutMs: 5_000 } })).rejects.toMatchObject({ code: 'UNKNOWN_INSTANCE' });
    expect(rt.scriptStats.executions).toBe(before);
  });

  it('GetAttributes answers the named values; SetAttributes writes them all in the store', async () => {
    await expect(send({ setAttributes: { instance: 'Pump1', valuesJson: '{"Flow":120,"Mode":"manual"}' } })).resolves.toEqual({ ok: true });
    expect(await send({ getAttributes: { instance: 'Pump1', names: ['Mode', 'Flow'] } })).toEqual({
      ok: true,
      attributes: { valuesJson: '{"Mode":"manual","Flow":120}' },
    });
    expect(stored()).toEqual({ Flow: 120, Mode: 'manual' });
    await expect(send({ getAttributes: { instance: 'Pump1', names: ['Flow', '__proto__'] } })).rejects.toMatchObject({ code: 'UNKNOWN_ATTRIBUTE' });
  });

  it('a batch set whose second write the store refuses leaves every value, in memory and in the store, as it was', async () => {
    await rt.setAttributes('Pump1', { Flow: 20, Mode: 'local' });
    // A real SQLite failure on the second row of the batch, after the first was written in the same transaction.
    rt.store.db.exec(`CREATE TRIGGER refuse_mode BEFORE UPDATE ON attribute_values WHEN NEW.Attribute = 'Mode'
      BEGIN SELECT RAISE(ABORT, 'disk says no'); END`);
    await expect(send({ setAttributes: { instance: 'Pump1', valuesJson: '{"Flow":150,"Mode":"manual"}' } })).rejects.toThrow(/disk says no/);
    expect(rt.getAttributes('Pump1', ['Flow', 'Mode'])).toEqual({ Flow: 20, Mode: 'local' });
    expect(stored()).toEqual({ Flow: 20, Mode: 'local' });
    rt.store.db.exec('DROP TRIGGER refuse_mode');
    // Nothing stale is left behind: the same batch goes through once the store takes it.
    await rt.setAttributes('Pump1', { Flow: 150, Mode: 'manual' });
    expect(stored()).toEqual({ Flow: 150, Mode: 'manual' });
  });

  it('a batch set with a bad value or an unknown name writes nothing', async () => {
    await expect(send({ setAttributes: { instance: 'Pump1', valuesJson: '{"Flow":30,"Mode":7}' } })).rejects.toMatchObject({ code: 'INVALID_ATTRIBUTE_VALUE' });
    await expect(send({ setAttributes: { instance: 'Pump1', valuesJson: '{"Flow":30,"__proto__":1}' } })).rejects.toMatchObject({ code: 'UNKNOWN_ATTRIBUTE' });
    expect(rt.getAttributes('Pump1', ['Flow', 'Mode'])).toEqual({ Flow: 10, Mode: 'auto' });
    expect(stored()).toEqual({});
  });
});
