/**
 * Provider feature gates: every feature of the provider the constructs ship with is on unless the
 * `@cofferhq/coffer:providerFeatures` context (for a project on an older provider) turns it off.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { TerraformStack, Testing } from 'cdktn';
import {
  BUNDLED_PROVIDER_FEATURES,
  BUNDLED_PROVIDER_VERSION,
  CofferFeature,
  PROVIDER_FEATURES_CONTEXT,
  providerFeatureEnabled,
  providerFeatures,
  requireProviderFeature,
} from '../../src/constructs';

process.env.CHECKPOINT_DISABLE = '1';

const stackWith = (context: Record<string, unknown>): TerraformStack =>
  new TerraformStack(Testing.app({ context }), 'stack');

describe('provider features', () => {
  test('the bundled provider has every feature, and they are on without any context', () => {
    // The version whose schema the bindings are generated from, which has every type the constructs use.
    const schema = JSON.parse(fs.readFileSync(path.join(__dirname, '../../schemas/coffer.json'), 'utf8'));
    expect(BUNDLED_PROVIDER_VERSION).toBe(schema.provider_versions['registry.opentofu.org/cofferhq/coffer']);
    const shipped = schema.provider_schemas['registry.opentofu.org/cofferhq/coffer'];
    expect(Object.keys(shipped.data_source_schemas)).toContain('coffer_secret_check');
    expect(Object.keys(shipped.ephemeral_resource_schemas)).toEqual(expect.arrayContaining(['coffer_user_secret', 'coffer_dynamic_secret']));
    expect([...BUNDLED_PROVIDER_FEATURES].sort()).toEqual(['dynamic-secret', 'ephemeral-user-secret', 'secret-check']);
    const stack = stackWith({});
    for (const feature of Object.values(CofferFeature)) expect(providerFeatureEnabled(stack, feature)).toBe(true);
    expect(() => requireProviderFeature(stack, CofferFeature.DYNAMIC_SECRET, 'X')).not.toThrow();
  });

  test('a context list keeps exactly the features it names', () => {
    const stack = stackWith({ [PROVIDER_FEATURES_CONTEXT]: ['secret-check'] });
    expect(providerFeatures(stack)).toEqual(['secret-check']);
    expect(providerFeatureEnabled(stack, CofferFeature.EPHEMERAL_USER_SECRET)).toBe(false);
  });

  test('the error for a turned-off feature names the context key and how to turn it back on', () => {
    const stack = stackWith({ [PROVIDER_FEATURES_CONTEXT]: [] });
    expect(() => requireProviderFeature(stack, CofferFeature.DYNAMIC_SECRET, 'DynamicSecret "db"')).toThrow(
      'DynamicSecret "db" needs the Coffer provider feature "dynamic-secret", which the "@cofferhq/coffer:providerFeatures" context turns off (it lists none). ' +
        'That context is only for a project on a provider older than cofferhq/coffer 0.1.0, which has every feature: add "dynamic-secret" to it, or remove it (cdktf.json "context", or App context)',
    );
  });

  test.each([
    ['secret-check', /must be a list of provider features \("secret-check", "ephemeral-user-secret", "dynamic-secret"\), got "secret-check"/],
    [['secret-check', 'vault-lease'], /lists "vault-lease", which is not a Coffer provider feature/],
  ])('refuses a malformed context %j, naming the key', (value, message) => {
    const stack = stackWith({ [PROVIDER_FEATURES_CONTEXT]: value });
    expect(() => providerFeatures(stack)).toThrow(message);
    expect(() => providerFeatures(stack)).toThrow(/context "@cofferhq\/coffer:providerFeatures"/);
  });
});
