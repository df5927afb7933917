/**
 * Logs for a provider process. tofu/terraform read the plugin's stderr and re-log lines that
 * parse as hclog JSON at their level (visible with TF_LOG). stdout carries only the handshake.
 * Never pass a secret value here: fields are for names, ids and sizes.
 */
export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error';

const LEVEL_ORDER: Record<LogLevel, number> = { trace: 0, debug: 1, info: 2, warn: 3, error: 4 };

export type LogFields = Record<string, string | number | boolean | null | undefined>;

export interface Logger {
  trace(message: string, fields?: LogFields): void;
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
}

/** hclog's `@timestamp` layout wants microseconds and a numeric zone: 2006-01-02T15:04:05.000000Z07:00. */
export function hclogTimestamp(date: Date): string {
  const iso = date.toISOString(); // 2026-11-22T05:21:00.123Z
  return `${iso.slice(0, 23)}000Z`;
}

/**
 * The level a provider process logs at: `COFFER_LOG_LEVEL` if set, else the engine's own
 * `TF_LOG_PROVIDER` / `TF_LOG` (which the engine passes down to its plugins), else `info`.
 * Like the engines, an unrecognised non-empty TF_LOG value (e.g. `json`, `1`) means trace.
 * Below info every backend request becomes a line the engine must parse, so it is opt-in.
 */
export function logLevelFromEnv(env: NodeJS.ProcessEnv = process.env): LogLevel {
  for (const raw of [env.COFFER_LOG_LEVEL, env.TF_LOG_PROVIDER, env.TF_LOG]) {
    const value = (raw ?? '').trim().toLowerCase();
    if (value === '') continue;
    if (value === 'off') return 'error';
    return value in LEVEL_ORDER ? (value as LogLevel) : 'trace';
  }
  return 'info';
}

export class HclogJsonLogger implements Logger {
  private readonly minimum: number;

  constructor(
    private readonly write: (line: string) => void = (line) => process.stderr.write(line),
    level: LogLevel = logLevelFromEnv(),
    private readonly module = 'coffer',
  ) {
    this.minimum = LEVEL_ORDER[level];
  }

  private log(level: LogLevel, message: string, fields: LogFields = {}): void {
    if (LEVEL_ORDER[level] < this.minimum) return;
    const entry: Record<string, string | number | boolean | null> = {
      '@level': level,
      '@message': String(message),
      '@module': this.module,
      '@timestamp': hclogTimestamp(new Date()),
    };
    for (const [key, value] of Object.entries(fields)) {
      if (value !== undefined) entry[key] = value;
    }
    this.write(`${JSON.stringify(entry)}\n`);
  }

  trace(message: string, fields?: LogFields): void {
    this.log('trace', message, fields);
  }
  debug(message: string, fields?: LogFields): void {
    this.log('debug', message, fields);
  }
  info(message: string, fields?: LogFields): void {
    this.log('info', message, fields);
  }
  warn(message: string, fields?: LogFields): void {
    this.log('warn', message, fields);
  }
  error(message: string, fields?: LogFields): void {
    this.log('error', message, fields);
  }
}

export const silentLogger: Logger = {
  trace: () => undefined,
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};
