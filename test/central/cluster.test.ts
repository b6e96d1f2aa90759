// Issue 11, point 6, in-process on a real PostgreSQL database: two central
// nodes, a raw site stream held by node A. A command given to node B is
// forwarded to A over the internal hop and answered as if local; a stale
// registry row, a holder that is gone and a wrong cluster secret each end
// in one clear refusal, never a loop; /metrics counts the outcomes.
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ScadaLinkError, hashSecret, newTrackedOperationId } from '../../src/commons/index.js';
import { type CentralNode, CLUSTER_SECRET_HEADER, INTERNAL_COMMAND_PATH, createToken, startCentralNode } from '../../src/central/index.js';
import { encodeCommand } from '../../src/transport/index.js';
import { PG, createPgDatabase, tempDir } from '../support/index.js';
import { RawSite } from '../transport/raw-site.js';
import { step } from './db/events.js';

const logger = pino({ level: 'silent' });
/** The operator's commands a raw site got (reconciliation's PullTracking left out). */
const operated = (raw: RawSite) => raw.commands.filter((c) => c.pullTracking === null || c.pullTracking === undefined);
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function codeOf(run: Promise<unknown>): Promise<string> {
  try {
    await run;
  } catch (err) {
    if (err instanceof ScadaLinkError) return err.code;
    throw err;
  }
  throw new Error('resolved');
}

describe('issue 11 point 6: site commands from any central node, in-process on PostgreSQL', () => {
  let tmp: ReturnType<typeof tempDir>;
  let db: Awaited<ReturnType<typeof createPgDatabase>>;
  let a: CentralNode;
  let b: CentralNode;
  let site: RawSite | undefined;

  beforeEach(async () => {
    tmp = tempDir();
    db = await createPgDatabase('sl_cluster');
    const databaseUrl = `postgres://${PG.user}@${PG.host}:${PG.port}/${db.database}`;
    const start = (dir: string): Promise<CentralNode> =>
      startCentralNode({ dataDir: `${tmp.dir}/${dir}`, databaseUrl, port: 0, grpcPort: 0, logger, maintenanceOnStart: false, sessionHeartbeatMs: 200 });
    a = await start('a');
    b = await start('b');
    await a.repo.putSite('plant1', await hashSecret('s3cret-plant1'));
  });
  afterEach(async () => {
    site?.close();
    site = undefined;
    await a.stop();
    await b.stop();
    await db.drop();
    tmp.cleanup();
  });

  /** Connects a raw site to node A and waits until node B can see A holds it (its row is written on open). */
  const connectToA = async (answer = { ok: true, errorCode: '', errorMessage: '' }): Promise<RawSite> => {
    site = new RawSite(`127.0.0.1:${a.grpcPort}`, 'plant1', 's3cret-plant1', 'raw-1', answer);
    // Bounded poll: the registry row has no event another node can await.
    while ((await b.repo.cluster.holder('plant1', b.repo.replicaId, 60_000)) === undefined) await sleep(20);
    return site;
  };
  const metric = async (node: CentralNode, outcome: string): Promise<number> => {
    const text = await (await fetch(`${node.url}/metrics`)).text();
    const m = new RegExp(`^scadalink_central_forwarded_commands_total\\{outcome="${outcome}"\\} (\\d+)`, 'm').exec(text);
    return m === null ? 0 : Number(m[1]);
  };

  it('issue 11 point 6: a Retry sent to node B reaches the site held by node A (202) and the site\'s answer comes back through B', async () => {
    const raw = await connectToA();
    const id = newTrackedOperationId();
    await a.repo.ingest('plant1', [step(id, 'ApiCallCached', 'Parked', 2)]);
    const token = await createToken(b.repo, 'dana', 'Deployment');
    const res = await fetch(`${b.url}/admin/api/site-calls/${id}/retry`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
    expect({ status: res.status, body: await res.json() }).toEqual({ status: 202, body: { status: 'sent', site: 'plant1' } });
    expect(operated(raw).map((c) => c.retryParked)).toEqual([{ trackedOperationId: id, operator: 'dana' }]);
    // A refusal by the site travels back as the site's own code.
    site?.close();
    while ((await b.repo.cluster.holder('plant1', b.repo.replicaId, 60_000)) !== undefined) await sleep(20);
    const refusing = await connectToA({ ok: false, errorCode: 'OPERATION_NOT_PARKED', errorMessage: 'it is Delivered' });
    const again = await fetch(`${b.url}/admin/api/site-calls/${id}/discard`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
    expect({ status: again.status, body: await again.json() }).toMatchObject({ status: 409, body: { error: { code: 'OPERATION_NOT_PARKED', message: 'it is Delivered' } } });
    expect(operated(refusing).map((c) => c.discardParked?.trackedOperationId)).toEqual([id]);
    expect(await metric(b, 'replied')).toBe(2);
  });

  it('issue 11 point 6: a stale registry row (A no longer holds the site) and a holder that is gone are SITE_UNREACHABLE after one hop', async () => {
    // A row saying A holds plant1, though no stream is open there: A answers "not here", B does not try again.
    await a.repo.cluster.opened('plant1', { id: a.repo.replicaId, url: a.url });
    expect(await codeOf(b.commander.command('plant1', { retryParked: { trackedOperationId: newTrackedOperationId(), operator: 'x' } }))).toBe('SITE_UNREACHABLE');
    expect(await metric(b, 'not_held')).toBe(1);
    // A row naming a node that is gone (nothing listens there).
    await a.repo.cluster.opened('plant2', { id: 'dead-node', url: 'http://127.0.0.1:9' });
    expect(await codeOf(b.commander.command('plant2', { discardParked: { trackedOperationId: newTrackedOperationId(), operator: 'x' } }))).toBe('SITE_UNREACHABLE');
    expect(await metric(b, 'holder_down')).toBe(1);
    // No row at all.
    expect(await codeOf(b.commander.command('plant3', { discardParked: { trackedOperationId: newTrackedOperationId(), operator: 'x' } }))).toBe('SITE_UNREACHABLE');
    expect(await metric(b, 'no_holder')).toBe(1);
  });

  it('issue 11 point 6: the internal route refuses a missing or wrong cluster secret (401) without running the command or echoing the secret', async () => {
    const raw = await connectToA();
    const body = encodeCommand({ retryParked: { trackedOperationId: newTrackedOperationId(), operator: 'mallory' } });
    const tries: Record<string, string>[] = [{}, { [CLUSTER_SECRET_HEADER]: 'guess' }, { [CLUSTER_SECRET_HEADER]: '' }];
    for (const headers of tries) {
      const res = await fetch(`${a.url}${INTERNAL_COMMAND_PATH}?site=plant1`, { method: 'POST', headers: { 'content-type': 'application/octet-stream', ...headers }, body });
      expect(res.status).toBe(401);
      expect(await res.json()).toEqual({ error: { code: 'CLUSTER_UNAUTHORIZED', message: 'this route is for central nodes of the same cluster only' } });
    }
    // With the secret (as another node sends it), a malformed body is refused and nothing reaches the site.
    const secret = await a.repo.cluster.clusterSecret();
    const bad = await fetch(`${a.url}${INTERNAL_COMMAND_PATH}?site=plant1`, {
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream', [CLUSTER_SECRET_HEADER]: secret },
      body: Buffer.from('not protobuf at all'),
    });
    expect(((await bad.json()) as { error: { code: string } }).error.code).toBe('FORWARD_MALFORMED');
    expect(operated(raw)).toEqual([]);
    // The admin API's token does not open it either, and the route is not under /admin or /api.
    const token = await createToken(a.repo, 'root', 'Admin');
    const res = await fetch(`${a.url}${INTERNAL_COMMAND_PATH}?site=plant1`, { method: 'POST', headers: { 'content-type': 'application/octet-stream', authorization: `Bearer ${token}` }, body });
    expect(res.status).toBe(401);
  });

  it('issue 11 point 6: the registry forgets a stream that closed, and a stopped node leaves no rows behind', async () => {
    const raw = await connectToA();
    raw.close();
    site = undefined;
    while ((await b.repo.cluster.holder('plant1', b.repo.replicaId, 60_000)) !== undefined) await sleep(20);
    await connectToA();
    await a.stop();
    expect(await b.repo.cluster.sessions(60_000)).toEqual([]);
  });
});
