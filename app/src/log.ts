// One JSON object per line on stdout: the awslogs driver, Fluent Bit and CloudWatch Logs Insights read
// the fields without any parsing rules. No timestamp field: every log router stamps each line already.

export type LogLevel = 'info' | 'warn' | 'error';

export type Log = (level: LogLevel, msg: string, fields?: Record<string, unknown>) => void;

export const logToStdout: Log = (level, msg, fields) => {
  process.stdout.write(`${JSON.stringify({ level, msg, ...fields })}\n`);
};

/** An error's message, for logs and replies; `stack` when the whole trace helps. */
export function describeError(error: unknown, { stack = false } = {}): string {
  if (!(error instanceof Error)) return String(error);
  return (stack && error.stack) || error.message;
}
