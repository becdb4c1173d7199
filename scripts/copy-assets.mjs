// tsc compiles only TypeScript: the console's static files are copied beside the compiled module
// that serves them, so `node dist/src/main.js` finds them the same way the sources do.
import { cpSync, rmSync } from 'node:fs';

rmSync('dist/src/console/assets', { recursive: true, force: true });
cpSync('src/console/assets', 'dist/src/console/assets', { recursive: true });
