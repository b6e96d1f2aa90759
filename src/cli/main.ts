import { CommanderError } from 'commander';
import { ConfigError, ScadaLinkError, describeError } from '../commons/index.js';
import { buildProgram } from './program.js';

/** Exit status of a usage error (a bad option or argument, an invalid project): nothing was done. */
const USAGE = 2;
const USAGE_CODES: ReadonlySet<string> = new Set(['INVALID_ARGUMENT', 'INVALID_QUERY']);

buildProgram().parseAsync(process.argv).catch((err: unknown) => {
  // Commander has already printed its own message (unknown option, missing
  // argument…) when it throws; help and --version throw with exit code 0.
  if (err instanceof CommanderError) process.exit(err.exitCode === 0 ? 0 : USAGE);
  if (err instanceof ConfigError) {
    process.stderr.write(`${err.message}\n`);
    process.exit(USAGE);
  }
  const code = err instanceof ScadaLinkError ? `${err.code}: ` : '';
  process.stderr.write(`scadalink: ${code}${describeError(err)}\n`);
  process.exit(err instanceof ScadaLinkError && USAGE_CODES.has(err.code) ? USAGE : 1);
});
