/**
 * @module cli/main
 * The `tpusim` executable: runs the command line (./run.ts) and exits with its code. An
 * error that escapes every promise (a callback's throw) is reported the same way, one line.
 */
import { reportError, runCli } from './run.ts';

const debug = process.argv.includes('--debug');
process.on('uncaughtException', (err) => process.exit(reportError(err, debug)));
process.on('unhandledRejection', (err) => process.exit(reportError(err, debug)));
process.exitCode = await runCli(process.argv.slice(2));
