import { ConfigError, ScadaLinkError, describeError } from '../commons/index.js';
import { buildProgram } from './program.js';

buildProgram().parseAsync(process.argv).catch((err: unknown) => {
  if (err instanceof ConfigError) {
    process.stderr.write(`${err.message}\n`);
    process.exit(2);
  }
  const code = err instanceof ScadaLinkError ? `${err.code}: ` : '';
  process.stderr.write(`scadalink: ${code}${describeError(err)}\n`);
  process.exit(1);
});
