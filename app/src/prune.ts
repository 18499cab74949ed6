// `prune`: the scheduled task (concept: "ECS tasks invoked by EventBridge Scheduler"). EventBridge
// Scheduler starts it, once a day by default, with the guestbook volume mounted: it deletes the entries
// older than MAX_AGE_DAYS, and temporary files a crashed writer left behind. Safe to run while the web
// servers write, and twice at once: see Guestbook.prune.
import { existingDirectory, integer } from './config';
import { Guestbook } from './guestbook';
import { logToStdout as log } from './log';

const DAY_MS = 24 * 60 * 60 * 1000;

export async function prune(env: NodeJS.ProcessEnv, now: () => number = Date.now): Promise<void> {
  const dir = await existingDirectory(env, 'GUESTBOOK_DIR');
  const maxAgeDays = integer(env, 'MAX_AGE_DAYS', 30, 1, 36_500);
  const olderThan = new Date(now() - maxAgeDays * DAY_MS);
  const deleted = await new Guestbook(dir).prune(olderThan);
  log('info', 'pruned', { dir, maxAgeDays, olderThan: olderThan.toISOString(), deleted });
}
