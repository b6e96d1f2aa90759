import { Command } from 'commander';
import { ConfigError, ScadaLinkError, describeError } from '../commons/index.js';
import { packageVersion } from '../site/index.js';
import { registerCentralCommands } from './central-commands.js';
import { registerDevCommand } from './dev-command.js';
import { registerSiteCommands } from './site-commands.js';
import { registerValidateCommand } from './validate-command.js';

const program = new Command('scadalink')
  .description('ScadaLink: durable, tracked integration between industrial sites and the systems around them')
  .version(packageVersion());
registerSiteCommands(program);
registerCentralCommands(program);
registerDevCommand(program);
registerValidateCommand(program);

program.parseAsync(process.argv).catch((err: unknown) => {
  if (err instanceof ConfigError) {
    process.stderr.write(`${err.message}\n`);
    process.exit(2);
  }
  const code = err instanceof ScadaLinkError ? `${err.code}: ` : '';
  process.stderr.write(`scadalink: ${code}${describeError(err)}\n`);
  process.exit(1);
});
