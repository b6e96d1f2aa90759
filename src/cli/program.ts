import { Command } from 'commander';
import { packageVersion } from '../site/index.js';
import { registerCentralCommands } from './central-commands.js';
import { registerDevCommand } from './dev-command.js';
import { registerSiteCommands } from './site-commands.js';
import { registerValidateCommand } from './validate-command.js';

/**
 * The `scadalink` command tree, unparsed: main.ts runs it, the docs test reads it.
 * Commander's own errors throw (exitOverride) so main.ts gives them exit status 2.
 */
export function buildProgram(): Command {
  const program = new Command('scadalink')
    .description('ScadaLink: durable, tracked integration between industrial sites and the systems around them')
    .version(packageVersion())
    // Before the subcommands exist: each copies it from its parent.
    .exitOverride();
  registerSiteCommands(program);
  registerCentralCommands(program);
  registerDevCommand(program);
  registerValidateCommand(program);
  return program;
}
