import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { ScadaLinkError } from '../commons/index.js';
import { startCentralNode } from '../central/index.js';
import { registerDeploymentCommands, registerSiteAdminCommands, registerTokenCommands } from './central-admin-commands.js';
import { registerApiKeyCommands } from './apikey-commands.js';
import { registerUserCommands } from './user-commands.js';
import { durationOption, invalidOption, wholeOption } from './options.js';
import { guardNode, parsePort, stopOnSignals } from './process.js';

function parseDays(name: string, text: string): number {
  const days = Number(text);
  if (!Number.isInteger(days) || days < 1) throw new ScadaLinkError('INVALID_ARGUMENT', `${name} takes a whole number of days (1 or more), not ${text}`);
  return days * 86_400_000;
}

/** --ui-idle-timeout: from 1 s to the 12 h a session lasts at most. */
function uiIdle(text: string): number {
  const ms = durationOption('--ui-idle-timeout', text, 12 * 3_600_000);
  if (ms < 1000) throw invalidOption('--ui-idle-timeout', `takes a duration of at least 1s, not ${text}`);
  return ms;
}

/** 64 MiB: a body is held in memory whole while it is checked. */
const MAX_API_BODY_LIMIT = 67_108_864;

export function registerCentralCommands(program: Command): void {
  const central = program.command('central').description('run a central node, or manage its sites');

  central
    .command('run', { isDefault: true })
    .description('run central: the site link (gRPC), telemetry ingest, reconciliation and the admin API')
    .requiredOption('--data <dir>', 'data directory (central.db when no --database-url)')
    .option('--project <dir>', 'the project to deploy to the sites (recorded as a new revision when it changed)')
    .option('--database-url <url>', 'PostgreSQL URL (postgres://…); default: SQLite in --data')
    .option('--host <host>', 'address of the HTTP endpoints', '127.0.0.1')
    .option('--port <port>', 'port of the HTTP endpoints (0 picks one)', '8080')
    .option('--grpc-host <host>', 'address of the site link', '127.0.0.1')
    .option('--grpc-port <port>', 'port of the site link (0 picks one)', '7443')
    .option('--tls-cert <file>', 'serve the site link over TLS with this certificate (PEM)')
    .option('--tls-key <file>', 'and this private key (PEM)')
    .option('--site-call-retention <days>', 'days a terminal SiteCalls row is kept after it ended', '365')
    .option('--audit-retention <days>', 'days an AuditLog row is kept (PostgreSQL: whole months)', '365')
    .option('--inbound-failure-retention <days>', 'days a failed Inbound API call is kept in the failure log', '30')
    .option('--advertise-url <url>', 'where the other central nodes reach this one (http://host:port); default http://--host:--port, required when --host is 0.0.0.0 on PostgreSQL')
    .option('--api-body-limit <bytes>', 'largest Inbound API request body (413 BODY_TOO_LARGE above)', '1048576')
    .option('--ui-idle-timeout <duration>', 'a web UI session ends after this long without a request (e.g. 30m, 90s; at most 12h)', '30m')
    .option('--ui-secure-cookies', 'mark the web UI session cookie Secure: central is reached over HTTPS (a TLS proxy in front)')
    .action(async (opts: { data: string; project?: string; databaseUrl?: string; host: string; port: string; grpcHost: string; grpcPort: string; tlsCert?: string; tlsKey?: string; siteCallRetention: string; auditRetention: string; inboundFailureRetention: string; advertiseUrl?: string; apiBodyLimit: string; uiIdleTimeout: string; uiSecureCookies?: boolean }) => {
      if ((opts.tlsCert === undefined) !== (opts.tlsKey === undefined)) {
        throw new ScadaLinkError('INVALID_ARGUMENT', '--tls-cert and --tls-key go together');
      }
      guardNode('central');
      const node = await startCentralNode({
        dataDir: resolve(opts.data),
        projectDir: opts.project,
        databaseUrl: opts.databaseUrl ?? process.env.SCADALINK_DATABASE_URL,
        host: opts.host,
        port: parsePort('--port', opts.port),
        grpcHost: opts.grpcHost,
        grpcPort: parsePort('--grpc-port', opts.grpcPort),
        tls: opts.tlsCert && opts.tlsKey ? { cert: readFileSync(opts.tlsCert), key: readFileSync(opts.tlsKey) } : undefined,
        siteCallRetentionMs: parseDays('--site-call-retention', opts.siteCallRetention),
        auditRetentionMs: parseDays('--audit-retention', opts.auditRetention),
        inboundFailureRetentionMs: parseDays('--inbound-failure-retention', opts.inboundFailureRetention),
        advertiseUrl: opts.advertiseUrl,
        apiBodyLimitBytes: wholeOption('--api-body-limit', opts.apiBodyLimit, 1, MAX_API_BODY_LIMIT),
        uiIdleTimeoutMs: uiIdle(opts.uiIdleTimeout),
        uiSecureCookies: opts.uiSecureCookies === true,
      });
      stopOnSignals('central', () => node.stop());
    });

  registerTokenCommands(central);
  // The issue's and the docs' shorter spelling: `scadalink token create`.
  registerTokenCommands(program);
  registerSiteAdminCommands(central.command('site').description('manage the sites allowed to connect'));
  registerDeploymentCommands(central);
  registerApiKeyCommands(central);
  registerUserCommands(central);
}
