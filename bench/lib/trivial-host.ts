// The script host of the sandbox benches: a trivial script calls nothing, so
// every operation but Log refuses, and Log goes to a silent logger.
import pino from 'pino';
import { defineScriptHost } from '../../src/scripts/index.js';

const log = pino({ level: 'silent' });
const unused = async (): Promise<never> => {
  throw new Error('not used by this bench');
};

export const trivialHost = defineScriptHost({
  'ExternalSystem.Call': unused, 'ExternalSystem.CachedCall': unused, 'Database.Open': unused, 'Database.Query': unused,
  'Database.Execute': unused, 'Database.Begin': unused, 'Database.Commit': unused, 'Database.Rollback': unused,
  'Database.CallProcedure': unused, 'Database.CachedWrite': unused, 'Tracking.Status': unused, 'Notify.Send': unused,
  'Instance.GetAttribute': unused, 'Instance.SetAttribute': unused, 'Scripts.Call': unused,
  'Route.Call': unused, 'Route.GetAttributes': unused, 'Route.SetAttributes': unused,
  Log: async () => {
    log.info('unused');
    return null;
  },
});
