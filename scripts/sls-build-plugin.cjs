// A local osls plugin: `sls package` and `sls deploy` build the bundles first (scripts/build.ts),
// so packaging works on a fresh clone after `npm install` alone. CommonJS because osls require()s
// plugins and this package is "type": "module".
const { execFileSync } = require('node:child_process');
const { join } = require('node:path');

class BuildBundles {
  constructor(serverless) {
    const root = serverless.serviceDir ?? serverless.config?.servicePath ?? process.cwd();
    const build = () => {
      // tsx from this repository, run by the Node that runs osls (npx puts Node 24 first on PATH).
      execFileSync(
        process.execPath,
        [join(root, 'node_modules', 'tsx', 'dist', 'cli.mjs'), 'scripts/build.ts'],
        {
          cwd: root,
          stdio: 'inherit',
        },
      );
    };
    this.hooks = { 'before:package:createDeploymentArtifacts': build };
  }
}

module.exports = BuildBundles;
