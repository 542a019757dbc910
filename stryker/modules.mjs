/**
 * The modules `npm run mutate` measures, each with the test files that exercise it. Stryker runs
 * one module at a time with only these files (through stryker/vitest.config.ts, not Stryker's
 * `testFiles`, which cannot kill mutants in module-level constants). `break`: the score under
 * which the run fails.
 */
export const modules = {
  signatures: {
    mutate: 'src/security/signatures.ts',
    tests: ['test/security/signatures.test.ts'],
    break: 90,
  },
  permissions: {
    mutate: 'src/slack/permissions.ts',
    tests: ['test/security/permissions.test.ts', 'test/security/isolation.test.ts'],
    break: 85,
  },
  'slack-request': {
    mutate: 'src/security/slack-request.ts',
    tests: ['test/security/slack-request-gate.test.ts', 'test/security/slack-requests.e2e.test.ts'],
    break: 85,
  },
  'safe-fetch': {
    mutate: 'src/http/safe-fetch.ts',
    tests: ['test/http/safe-fetch.test.ts'],
    break: 85,
  },
  repository: {
    mutate: 'src/jobs/repository.ts',
    tests: ['test/jobs/repository.test.ts'],
    break: 85,
  },
  envelope: {
    mutate: 'src/security/envelope.ts',
    tests: [
      'test/security/envelope.test.ts',
      'test/security/key-cache.test.ts',
      'test/security/isolation.test.ts',
    ],
    break: 85,
  },
  mrkdwn: {
    mutate: 'src/slack/mrkdwn.ts',
    tests: ['test/slack/mrkdwn.test.ts', 'test/slack/escaping.property.test.ts'],
    break: 85,
  },
  access: {
    mutate: 'src/security/access.ts',
    tests: ['test/security/permissions.test.ts', 'test/security/isolation.test.ts'],
    break: 85,
  },
};
