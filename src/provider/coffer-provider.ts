/**
 * The Coffer provider: configuration (which backend, where), and the resources it serves.
 * Settings come from attributes or environment variables, so templates never hold credentials.
 */
import { AuditedSecretStore, auditSinkFromEnv, defaultActor } from '../client/audit';
import { LocalSecretStore } from '../client/backends/local';
import { attribute, type Diagnostics, type Logger, type ProviderDefinition, type StateModel } from './framework';
import type { CofferProviderData } from './provider-data';
import { UserSecretResource } from './resources/user-secret';

const BACKENDS = ['local'] as const;

const providerAttributes = {
  backend: attribute.string({
    description: 'Where secrets live: `local` (embedded encrypted store, the default). Env: COFFER_BACKEND.',
    optional: true,
    validators: [(v: string) => (BACKENDS.includes(v as (typeof BACKENDS)[number]) ? undefined : `backend must be one of: ${BACKENDS.join(', ')}`)],
  }),
  home: attribute.string({
    description: 'Directory of the embedded store. Env: COFFER_HOME. Default: $XDG_DATA_HOME/coffer (~/.local/share/coffer).',
    optional: true,
  }),
};

export function cofferProvider(log: Logger): ProviderDefinition<typeof providerAttributes, CofferProviderData> {
  return {
    typeName: 'coffer',
    schema: { version: 0, description: 'Coffer: user secrets as code.', attributes: providerAttributes },
    async configure(config: StateModel<typeof providerAttributes>, diagnostics: Diagnostics) {
      const backend = config.backend ?? process.env.COFFER_BACKEND ?? 'local';
      if (backend !== 'local') {
        diagnostics.addError('Unsupported backend', `COFFER_BACKEND must be one of: ${BACKENDS.join(', ')}.`, ['backend']);
        return undefined;
      }
      const local = new LocalSecretStore({ home: config.home ?? undefined });
      log.debug('configured backend', { backend: local.kind, home: local.home });
      return { store: new AuditedSecretStore(local, auditSinkFromEnv(local.home), defaultActor()) };
    },
    async close(data: CofferProviderData) {
      await data.store.close();
    },
    resources: [new UserSecretResource()],
  };
}
