import { defineConfig } from 'vitest/config';
import { modules } from './modules.mjs';

/**
 * The vitest configuration Stryker runs for one module (MUTATE_MODULE, set by scripts/mutate.ts):
 * the project's settings, with only the test files of that module (stryker/modules.mjs). The
 * leak check (test/setup/leaks.ts) stays: it gives the run its own TMPDIR. The IAM check does
 * not: it judges the whole run at its end, which Stryker cannot pin on a test.
 */
const name = process.env.MUTATE_MODULE ?? '';
const module = (modules as Record<string, { tests: string[] }>)[name];
if (!module) throw new Error(`MUTATE_MODULE must be one of: ${Object.keys(modules).join(', ')}`);

export default defineConfig({
  test: {
    include: module.tests,
    globalSetup: ['test/setup/leaks.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    env: { LOG_LEVEL: 'WARN', SANDBOX_TRIGGER_TTL_MS: '120000' },
    pool: 'forks',
  },
});
