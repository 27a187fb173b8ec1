const { spawnSync } = require('node:child_process');
const { join } = require('node:path');

/**
 * Builds dist/ once before the suite, so the process-level tests run exactly what `npm start` runs.
 * Type errors are reported but don't stop the suite: tsc still emits, and `npm run check` (run by CI
 * before the tests) is the gate for types.
 */
module.exports = async function globalSetup() {
  const root = join(__dirname, '..', '..');
  const result = spawnSync(
    process.execPath,
    [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(root, 'tsconfig.build.json')],
    {
      cwd: root,
      encoding: 'utf8',
    },
  );
  if (result.status !== 0) {
    process.stderr.write(
      `\n[globalSetup] tsc reported errors while building dist/ (npm run check fails on these):\n${result.stdout}${result.stderr}\n`,
    );
  }
};
