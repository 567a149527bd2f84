// The one logger. JSON by default (what log pipelines want), pretty when a person is watching a terminal.
// Credentials must never reach a log line: callers never log secret values, and as a second line of defence the
// redaction below blanks the fields where one could slip in (headers, config objects, Secret data).
import { pino, type Logger, type LoggerOptions } from 'pino';

export type { Logger };

export const REDACTED_PATHS = [
  'authorization',
  '*.authorization',
  'headers.authorization',
  '*.headers.authorization',
  'token',
  '*.token',
  'secret',
  '*.secret',
  'apiToken',
  '*.apiToken',
  'consumerSecret',
  '*.consumerSecret',
  'password',
  '*.password',
  'data',
  '*.data',
  'stringData',
  '*.stringData',
];

export interface LogSettings {
  level?: string;
  format?: 'json' | 'pretty';
  destination?: NodeJS.WritableStream;
}

export function createLogger(settings: LogSettings = {}): Logger {
  const options: LoggerOptions = {
    level: settings.level ?? process.env.LOG_LEVEL ?? 'info',
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    base: { name: 'clever-addon-operator' },
  };
  const format = settings.format ?? (process.stdout.isTTY ? 'pretty' : 'json');
  if (format === 'pretty' && !settings.destination) {
    return pino({ ...options, transport: { target: 'pino-pretty', options: { colorize: true } } });
  }
  return settings.destination ? pino(options, settings.destination) : pino(options);
}

/** A logger that discards everything, for tests and library defaults. */
export const silentLogger: Logger = pino({ level: 'silent' });
