// Central resolves its own part of the project (issue 11 point 4): recording a
// revision needs every `${ENV}` of `inboundApi` from central's environment
// (central serves it), and none of the sites' variables.
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createApiKey, startCentralNode } from '../../../src/central/index.js';
import { ConfigError } from '../../../src/commons/index.js';
import { tempDir } from '../../support/index.js';
import { writeProject } from '../../support/project.js';
import { callApi, silent } from './endpoint-fixture.js';

const project = (dir: string) =>
  writeProject(
    dir,
    {
      sites: { plant1: {} },
      databases: { SiteDb: { driver: 'postgres', host: 'db', database: 'x', user: 'u', password: '${SITE_DB_PASSWORD}' } },
      inboundApi: {
        databases: { erp: { driver: 'postgres', host: '127.0.0.1', database: 'erp', user: 'api', password: '${CENTRAL_DB_PASSWORD}' } },
        methods: {
          Ping: { returns: { type: 'String' }, apiKeys: ['mes'], script: 'ping.js' },
          Leak: { apiKeys: ['mes'], script: 'leak.js' },
        },
      },
    },
    {
      'ping.js': "return 'pong';",
      'leak.js': "log.warn('connecting with central-db-secret-1'); throw new Error('login failed for api:central-db-secret-1');",
    },
  );

describe("central's part of the project (issue 11 point 4)", () => {
  let tmp: ReturnType<typeof tempDir>;
  beforeEach(() => {
    tmp = tempDir();
  });
  afterEach(() => tmp.cleanup());

  it("issue 11 point 4: a revision whose inboundApi needs a variable central lacks is refused, naming the path; the sites' variables are not needed", async () => {
    const projectDir = project(join(tmp.dir, 'project'));
    const common = { dataDir: join(tmp.dir, 'data'), port: 0, grpcPort: 0, logger: silent, maintenanceOnStart: false, projectDir };
    const refused = await startCentralNode({ ...common, env: {} }).catch((err: unknown) => err);
    expect(refused).toBeInstanceOf(ConfigError);
    expect((refused as ConfigError).issues.map((i) => i.path)).toEqual(['inboundApi.databases.erp.password']);

    const lines: string[] = [];
    const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(line) });
    const node = await startCentralNode({ ...common, logger, env: { CENTRAL_DB_PASSWORD: 'central-db-secret-1' } });
    try {
      const { key } = await createApiKey(node.repo, 'test', 'mes');
      const a = await callApi(node, 'Ping', { key });
      expect({ status: a.status, body: a.body }).toEqual({ status: 200, body: 'pong' });
      // Central's secrets (here a database password from its environment) never reach its log or the caller.
      const leak = await callApi(node, 'Leak', { key });
      expect({ status: leak.status, body: leak.body }).toEqual({ status: 500, body: { error: 'method Leak failed (SCRIPT_ERROR)', code: 'SCRIPT_ERROR' } });
      const log = lines.join('');
      expect(log).toContain('login failed for api:***');
      expect(log).toContain('connecting with ***');
      expect(log).not.toContain('central-db-secret-1');
    } finally {
      await node.stop();
    }
  });
});
