import { pino, type Logger } from 'pino';

export type { Logger };

/** Secrets never reach a log line: known secret fields are redacted wherever they appear. */
export function createLogger(level: string, name = 'callroi'): Logger {
  return pino({
    name,
    level,
    redact: {
      paths: [
        'authorization',
        '*.authorization',
        'headers.authorization',
        'req.headers.authorization',
        'credentials',
        '*.credentials',
        'apiKey',
        '*.apiKey',
        'secret',
        '*.secret',
        'token',
        '*.token',
      ],
      censor: '[redacted]',
    },
  });
}
