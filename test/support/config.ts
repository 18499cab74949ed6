import { ConfigError, loadConfig } from '../../lib/config';

/** The problems loadConfig reports for `context`, or [] when it accepts it. */
export function problems(context: Record<string, unknown>): string[] {
  try {
    loadConfig(context);
    return [];
  } catch (error) {
    if (error instanceof ConfigError) return [...error.problems];
    throw error;
  }
}
