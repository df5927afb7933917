import { describeCoderStoreContract } from '../support/coder-double/contract';

/**
 * The behavioural checks of test/support/coder-double/contract.ts against a real Coder deployment.
 * Skipped unless both are set:
 *
 *   CODER_URL=https://coder.example.com CODER_SESSION_TOKEN=… npx jest test/integration/coder-real
 *
 * It works on the token owner's own secrets (`me`), names every secret with a random `cofferT…`
 * prefix and deletes them afterwards. Nothing reads values (Coder's API cannot). Optional:
 * CODER_TEST_USERNAME, the username `me` should resolve to.
 */
const url = process.env.CODER_URL ?? '';
const token = process.env.CODER_SESSION_TOKEN ?? '';
const configured = url !== '' && token !== '';

describeCoderStoreContract(
  'real Coder server',
  {
    url: () => url,
    token: () => token,
    expectedOwner: () => process.env.CODER_TEST_USERNAME || undefined,
  },
  { skip: !configured },
);
