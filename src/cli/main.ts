import { Command, CommanderError } from 'commander';
import { ConfigError, ScadaLinkError, describeError } from '../commons/index.js';
import { packageVersion } from '../site/index.js';
import { registerCentralCommands } from './central-commands.js';
import { registerDevCommand } from './dev-command.js';
import { registerSiteCommands } from './site-commands.js';

/** Exit status of a usage error (a bad option or argument, an invalid project): nothing was done. */
const USAGE = 2;
const USAGE_CODES: ReadonlySet<string> = new Set(['INVALID_ARGUMENT', 'INVALID_QUERY']);

// exitOverride before the subcommands exist: each copies it from its parent.
// Commander has already printed its own message (unknown option, missing
// argument…) when it throws; help and --version throw with exit code 0.
const program = new Command('scadalink')
  .description('ScadaLink: durable, tracked integration between industrial sites and the systems around them')
  .version(packageVersion())
  .exitOverride();
registerSiteCommands(program);
registerCentralCommands(program);
registerDevCommand(program);

program.parseAsync(process.argv).catch((err: unknown) => {
  if (err instanceof CommanderError) process.exit(err.exitCode === 0 ? 0 : USAGE);
  if (err instanceof ConfigError) {
    process.stderr.write(`${err.message}\n`);
    process.exit(USAGE);
  }
  const code = err instanceof ScadaLinkError ? `${err.code}: ` : '';
  process.stderr.write(`scadalink: ${code}${describeError(err)}\n`);
  process.exit(err instanceof ScadaLinkError && USAGE_CODES.has(err.code) ? USAGE : 1);
});
