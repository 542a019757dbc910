import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Records the AWS calls of every file, then checks each against the IAM role (test/aws/);
    // fails the run if a test leaves a process or a temp folder behind (test/setup/leaks.ts).
    globalSetup: ['test/aws/least-privilege.global.ts', 'test/setup/leaks.ts'],
    testTimeout: 60_000,
    // The machine running tests is shared and slow at times: Slack's 3-second trigger_id life
    // (enforced by the fake Slack) would turn load into failures. test/sandbox/fake-slack.test.ts
    // checks the 3 seconds themselves.
    env: { LOG_LEVEL: 'WARN', SANDBOX_TRIGGER_TTL_MS: '120000' },
    hookTimeout: 60_000,
    // Files share process.env (the functions read configuration once); each file gets its own worker.
    pool: 'forks',
    fileParallelism: true,
    maxWorkers: 2,
  },
});
