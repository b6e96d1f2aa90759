import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import pino from 'pino';
import { ScadaLinkError, hashSecret, packageRoot } from '../commons/index.js';
import { addUser, createToken, generatePassword, setUserPassword, startCentralNode } from '../central/index.js';
import { loadProject, type ProjectConfig } from '../config/index.js';
import { type SiteNode, startSiteNode } from '../site/index.js';
import { startDemoErp } from './demo-erp.js';
import { directoryOption, invalidOption, pathOption } from './options.js';
import { guardNode, parsePort, stopOnSignals } from './process.js';

export function registerDevCommand(program: Command): void {
  program
    .command('dev')
    .description('central, one demo site and a demo ERP in one process, on SQLite under --data')
    .option('--data <dir>', 'data directory (central in <dir>/central, the site in <dir>/site)', './data')
    .option('--project <dir>', 'the site project', join(packageRoot(), 'examples', 'demo'))
    .option('--port <port>', "the site's HTTP port", '8081')
    .option('--central-port <port>', "central's HTTP port", '8080')
    .option('--erp-port <port>', "the demo ERP's port (the demo project expects 9090)", '9090')
    .action(async (opts: DevOptions) => {
      // Every option is checked, and the project loaded, before anything starts or is created.
      const { dataDir, erpPort, sitePort, centralPort, siteName } = devOptions(opts);
      // One root without bindings: each part's child adds its own role once.
      const root = pino({ base: null });
      const logger = root.child({ role: 'dev' });
      guardNode('dev');
      const erp = await startDemoErp('127.0.0.1', erpPort, {
        onOutage: (state, until) =>
          state === 'down'
            ? logger.info({ until: until.toISOString() }, 'demo ERP outage: it answers every call with a 503')
            : logger.info({ nextOutage: until.toISOString() }, 'demo ERP outage over'),
      }).catch((err: unknown) => {
        throw new ScadaLinkError('PORT_IN_USE', `the demo ERP cannot listen on 127.0.0.1:${erpPort}: ${String(err)}`);
      });
      // The site's environment (the demo project reaches its ERP through DEMO_ERP_URL).
      const siteEnv = { ...process.env, DEMO_ERP_URL: erp.url };
      const central = await startCentralNode({
        dataDir: join(dataDir, 'central'),
        // Central deploys the project to the site over the link, as in production.
        projectDir: opts.project,
        env: siteEnv,
        port: centralPort,
        grpcPort: 0,
        logger: root.child({ role: 'central' }),
      });
      // One process, so the site's secret never leaves it: a fresh one at every start.
      const secret = randomBytes(24).toString('base64url');
      await central.repo.putSite(siteName, await hashSecret(secret));
      // An Admin token for the person at the keyboard, in a file only they can read (never in the log).
      const tokenFile = join(dataDir, 'central', 'admin-token');
      writeFileSync(tokenFile, `${await createToken(central.repo, 'dev', 'Admin')}\n`, { mode: 0o600 });
      // The web UI's Admin user `admin`, with a fresh password at every start, next to the token (same permissions).
      const password = generatePassword();
      if ((await central.repo.ui.user(DEV_USER)) === undefined) await addUser(central.repo, 'dev', DEV_USER, 'Admin', password);
      else await setUserPassword(central.repo, 'dev', DEV_USER, password);
      const passwordFile = join(dataDir, 'central', 'admin-password');
      writeFileSync(passwordFile, `${password}\n`, { mode: 0o600 });
      const site = await startSiteNode({
        site: siteName,
        dataDir: join(dataDir, 'site'),
        port: sitePort,
        logger: root.child({ role: 'site' }),
        central: { address: `127.0.0.1:${central.grpcPort}`, secret },
        env: siteEnv,
      });
      // A first start waits for central's deployment; later ones run the stored revision at once.
      if (site.runtime === undefined) {
        await waitForDeployment(site, 30_000).catch(async (err: unknown) => {
          await site.stop();
          await central.stop();
          await erp.close();
          throw err;
        });
      }
      logger.info(
        { site: site.url, central: central.url, ui: `${central.url}/ui/`, uiUser: DEV_USER, erp: erp.url, adminTokenFile: tokenFile, adminPasswordFile: passwordFile, configRevision: site.configRevision },
        'dev ready',
      );
      stopOnSignals('central, site and ERP', async () => {
        await site.stop();
        await central.stop();
        await erp.close();
      });
    });
}

/** The web UI user `scadalink dev` makes. */
const DEV_USER = 'admin';

interface DevOptions {
  data: string;
  project: string;
  port: string;
  centralPort: string;
  erpPort: string;
}

/** Reads every option of `dev` (INVALID_ARGUMENT names the bad one) and finds the project's one site. */
function devOptions(opts: DevOptions): { dataDir: string; erpPort: number; sitePort: number; centralPort: number; siteName: string } {
  const dataDir = resolve(pathOption('--data', opts.data));
  const ports = { '--port': parsePort('--port', opts.port), '--central-port': parsePort('--central-port', opts.centralPort), '--erp-port': parsePort('--erp-port', opts.erpPort) };
  const taken = new Map<number, string>();
  for (const [option, port] of Object.entries(ports)) {
    const other = taken.get(port);
    if (port !== 0 && other !== undefined) throw invalidOption(option, `port ${port} is already given to ${other}`);
    taken.set(port, option);
  }
  // The ERP's URL as startDemoErp will give it, so that the project loads as it will when the site runs it.
  const env = { ...process.env, DEMO_ERP_URL: `http://127.0.0.1:${ports['--erp-port']}/api` };
  const siteName = soleSite(loadProject(directoryOption('--project', opts.project), env));
  return { dataDir, erpPort: ports['--erp-port'], sitePort: ports['--port'], centralPort: ports['--central-port'], siteName };
}

function soleSite(project: ProjectConfig): string {
  const names = Object.keys(project.sites);
  if (names.length !== 1) {
    throw new ScadaLinkError('SITE_REQUIRED', `scadalink dev runs one site; the project defines ${names.length} (${names.join(', ')})`);
  }
  return names[0]!;
}

/** Resolves when the site runs a deployed revision; DEPLOYMENT_TIMEOUT (see central's log for why) after `ms`. */
function waitForDeployment(site: SiteNode, ms: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      site.events.off('deployed', done);
      reject(new ScadaLinkError('DEPLOYMENT_TIMEOUT', `the site did not take central's deployment within ${ms} ms (see the log)`));
    }, ms);
    function done(): void {
      clearTimeout(timer);
      resolve();
    }
    site.events.once('deployed', done);
  });
}
