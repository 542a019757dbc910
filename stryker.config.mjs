// @ts-check
import { modules } from './stryker/modules.mjs';

/**
 * Mutation testing of one module (MUTATE_MODULE); `npm run mutate` (scripts/mutate.ts) runs
 * every module in turn and prints the scores. Not part of `npm test`: it takes tens of minutes.
 */
const name = process.env.MUTATE_MODULE ?? '';
const module = /** @type {Record<string, {mutate: string, break: number}>} */ (modules)[name];
if (!module) throw new Error(`MUTATE_MODULE must be one of: ${Object.keys(modules).join(', ')}`);

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: 'vitest',
  plugins: ['@stryker-mutator/vitest-runner'],
  vitest: { configFile: 'stryker/vitest.config.ts', related: false },
  mutate: [module.mutate],
  coverageAnalysis: 'perTest',
  // The machine has 2 cores shared with others: one test process unless told otherwise.
  concurrency: Number(process.env.MUTATE_CONCURRENCY ?? 1),
  thresholds: { high: 90, low: 85, break: module.break },
  reporters: ['clear-text', 'progress', 'json'],
  clearTextReporter: { allowColor: false, logTests: false, reportScoreTable: true },
  jsonReporter: { fileName: `reports/mutation/${name}.json` },
  // TypeScript 7 has no JavaScript API for Stryker's tsconfig rewriting, and nothing here needs it.
  tsconfigFile: 'stryker/no-tsconfig-rewrite.json',
  tempDirName: '.stryker-tmp',
  cleanTempDir: 'always',
  ignorePatterns: ['dist', 'reports', '.data', '.serverless', '.bench-out', 'coverage', 'bench', 'events'],
  incremental: false,
};
