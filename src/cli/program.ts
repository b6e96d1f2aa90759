import { Command } from 'commander';
import { packageVersion } from '../site/index.js';
import { registerCentralCommands } from './central-commands.js';
import { registerDevCommand } from './dev-command.js';
import { registerSiteCommands } from './site-commands.js';

/** The `scadalink` command tree, unparsed: main.ts runs it, the docs test reads it. */
export function buildProgram(): Command {
  const program = new Command('scadalink')
    .description('ScadaLink: durable, tracked integration between industrial sites and the systems around them')
    .version(packageVersion());
  registerSiteCommands(program);
  registerCentralCommands(program);
  registerDevCommand(program);
  return program;
}
