export { registerSiteCommands } from './site-commands.js';
