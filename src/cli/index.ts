export { registerSiteCommands } from './site-commands.js';
export { buildProgram } from './program.js';
