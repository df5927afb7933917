/** Entry point of `terraform-provider-coffer`: launched by tofu/terraform as a go-plugin. */
import { ProviderRpcAdapter } from './framework/rpc-adapter';
import { HclogJsonLogger } from './protocol/logger';
import { serveProvider } from './protocol/server';
import { cofferProvider } from './coffer-provider';

const log = new HclogJsonLogger();
const adapter = new ProviderRpcAdapter(cofferProvider(log), log);
serveProvider({ handlers: adapter.handlers(), logger: log, onShutdown: () => adapter.close() }).catch((error: unknown) => {
  log.error('provider failed to start', { error: error instanceof Error ? error.message : String(error) });
  process.exit(1);
});
