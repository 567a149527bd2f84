// The one logger. JSON by default (what log pipelines want), pretty when a person is watching a terminal.
// Credentials must never reach a log line: callers never log secret values, and as a second line of defence every
// log call goes through src/redact.ts before pino sees it: credential-named keys (`*PASSWORD*`, `*SECRET*`,
// `*TOKEN*`, `authorization`, Secret `data`, ...) are blanked at any depth, URLs lose their userinfo, errors become
// plain data with their message and stack redacted (and HTTP errors are summarised, without their body), and the
// message text itself is redacted. REDACTED_PATHS is kept as pino's own, path-based, third line.
import { pino, type Bindings, type ChildLoggerOptions, type LogFn, type Logger, type LoggerOptions } from 'pino';
import { redactText, redactValue } from './redact.ts';

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

/** The arguments of a log call, redacted: the merging object (or error), the message and its format arguments. */
export function redactLogArgs(args: readonly unknown[]): unknown[] {
  const [first, ...rest] = args;
  const redactArg = (a: unknown) => (typeof a === 'string' ? redactText(a) : redactValue(a));
  if (typeof first !== 'object' || first === null) return args.map(redactArg);
  const obj = redactValue(first instanceof Error ? { err: first } : first) as { err?: { message?: unknown } };
  const redacted = [obj, ...rest.map(redactArg)];
  // pino takes the message of a lone error as the log message: take it from the redacted error instead.
  const errorMessage = obj.err?.message;
  if (rest.length === 0 && typeof errorMessage === 'string' && (first instanceof Error || 'err' in first)) {
    redacted.push(errorMessage);
  }
  return redacted;
}

export function createLogger(settings: LogSettings = {}): Logger {
  const options: LoggerOptions = {
    level: settings.level ?? process.env.LOG_LEVEL ?? 'info',
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    base: { name: 'clever-addon-operator' },
    hooks: {
      logMethod(args, method) {
        method.apply(this, redactLogArgs(args) as Parameters<LogFn>);
      },
    },
    // Errors arrive here already as plain data (redactValue): pino's own serializer would rename their type.
    serializers: { err: (err: unknown) => err },
  };
  const format = settings.format ?? (process.stdout.isTTY ? 'pretty' : 'json');
  const logger =
    format === 'pretty' && !settings.destination
      ? pino({ ...options, transport: { target: 'pino-pretty', options: { colorize: true } } })
      : settings.destination
        ? pino(options, settings.destination)
        : pino(options);
  return redactChildBindings(logger);
}

/**
 * Child loggers' bindings are serialised once, at `child()`, without the log method hook: redact them there. Set on
 * the root only: children are created from their parent's prototype, so they inherit it with `this` bound to them.
 */
function redactChildBindings(logger: Logger): Logger {
  const child: unknown = Reflect.get(logger, 'child');
  const redacting = function (this: Logger, bindings: Bindings, options?: ChildLoggerOptions): unknown {
    return Reflect.apply(child as (...a: unknown[]) => unknown, this, [redactValue(bindings), options]);
  };
  logger.child = redacting as unknown as Logger['child'];
  return logger;
}

/** A logger that discards everything, for tests and library defaults. */
export const silentLogger: Logger = pino({ level: 'silent' });
