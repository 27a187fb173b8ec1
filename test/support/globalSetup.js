const { execFileSync } = require('node:child_process');
const { join } = require('node:path');

/**
 * Builds dist/ once before the suite, so the process-level tests run exactly what `npm start` runs.
 */
module.exports = async function globalSetup() {
  const root = join(__dirname, '..', '..');
  execFileSync(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(root, 'tsconfig.build.json')], {
    cwd: root,
    stdio: 'inherit',
  });
};
