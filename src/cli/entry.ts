// Process entry of the `candor` binary: runs the CLI and turns an error into one line on stderr
// and exit code 1 (the stack only with CANDOR_DEBUG=1).

import { main } from './main.js';

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    const debug = process.env.CANDOR_DEBUG === '1' && err instanceof Error;
    const message = err instanceof Error ? err.message : String(err);
    process.stderr.write(`candor: ${debug ? err.stack : message}\n`);
    process.exitCode = 1;
  },
);
