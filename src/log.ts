/** Operational log lines on stderr, one JSON object each. Never pass a token or a request body here. */
export type LogLevel = 'info' | 'warn' | 'error';

export interface Logger {
  log(level: LogLevel, message: string, fields?: Record<string, unknown>): void;
}

export const stderrLogger: Logger = {
  log(level, message, fields = {}) {
    process.stderr.write(`${JSON.stringify({ at: new Date().toISOString(), level, message, ...fields })}\n`);
  },
};
