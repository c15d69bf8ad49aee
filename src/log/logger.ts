// Structured logging: JSON lines on stdout for journald, or a human format on request.
// Loggers are passed down explicitly (no global); each part of the daemon takes a child
// named after itself, and per-camera parts add the camera name.
import { pino, type Logger, type LevelWithSilent } from 'pino'
import pretty from 'pino-pretty'

export type { Logger }
export type LogFormat = 'json' | 'pretty'

export interface LoggerOptions {
  level?: LevelWithSilent
  format?: LogFormat
  /** Applied to every message and string field before it is written. */
  redact?: (text: string) => string
  destination?: NodeJS.WritableStream
}

export function createLogger(opts: LoggerOptions = {}): Logger {
  const clean = opts.redact
  const options = {
    level: opts.level ?? 'info',
    base: { pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label: string) => ({ level: label }) },
    // Known secret fields are censored by key, free text by the redactor below.
    redact: { paths: ['password', '*.password', 'mqtt.password', 'url', '*.url'], censor: redactUrlField },
    // pino rejects `hooks: undefined`, so the key is only present with a redactor.
    ...(clean
      ? {
          hooks: {
            logMethod(this: Logger, args: unknown[], method: (...a: unknown[]) => void) {
              method.apply(
                this,
                args.map((a) =>
                  typeof a === 'string' ? clean(a) : a instanceof Error ? cleanError(a, clean) : a,
                ),
              )
            },
          },
        }
      : {}),
    serializers: clean
      ? { err: (e: Error) => serializeError(e, clean) }
      : { err: (e: Error) => serializeError(e) },
  }
  if (opts.format === 'pretty') {
    const stream = pretty({
      colorize: false,
      sync: true,
      translateTime: 'SYS:HH:MM:ss.l',
      ignore: 'pid,hostname',
      destination: 1,
    })
    return pino(options, stream)
  }
  return pino(
    options,
    (opts.destination as pino.DestinationStream | undefined) ?? pino.destination({ dest: 1, sync: true }),
  )
}

function redactUrlField(value: unknown): unknown {
  if (typeof value === 'string' && value.includes('://'))
    return value.replace(/\/\/([^/@:]+):[^/@]*@/, '//$1:***@')
  return typeof value === 'string' ? '***' : value
}

function cleanError(e: Error, clean: (s: string) => string): Error {
  const copy = new Error(clean(e.message))
  copy.name = e.name
  if (e.stack) copy.stack = clean(e.stack)
  return copy
}

function serializeError(e: Error, clean: (s: string) => string = (s) => s): Record<string, unknown> {
  // A log call that passes something else as `err` (a string, a rejection value) must log
  // it, not throw from inside the logger.
  if (!(e instanceof Error)) return { message: clean(String(e)) }
  const code = (e as NodeJS.ErrnoException).code
  return {
    type: e.name,
    message: clean(e.message),
    ...(code ? { code } : {}),
    stack: e.stack ? clean(e.stack) : undefined,
  }
}
