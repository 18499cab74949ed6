// `worker`: the queue worker (concept: "ECS - SQS queue example"). The tasks of a Fargate service take
// guestbook entries from an SQS queue and add them to the shared volume, where every platform's page
// shows them. The service scales on the queue's backlog, to zero when it is empty (lib/ecs-patterns).
//
// SQS delivers each message at least once, and a received message is only hidden (for the queue's
// visibility timeout), not gone. So the worker deletes a message after handling it, and leaves a
// message it could not handle alone: SQS shows it again after the visibility timeout, and after
// maxReceiveCount receives moves it to the dead-letter queue. A poison message costs a few retries and
// blocks nothing.
//
// On SIGTERM (scale-in, deployment, Fargate Spot interruption) the worker finishes the message at hand,
// hands the rest of its batch back to the queue at once, and takes no more.
//
// A bundle of its own (app/build.mjs): only this command loads the SQS client.
import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageCommand,
  ReceiveMessageCommand,
  SQSClient,
  type Message,
} from '@aws-sdk/client-sqs';
import { existingDirectory, required } from './config';
import { Guestbook, type GuestbookEntry, type NewEntry } from './guestbook';
import { describeError, logToStdout, type Log } from './log';
import { detectPlatform } from './platform';

export interface QueueMessage {
  id: string;
  body: string;
  /** 1 the first time; SQS moves the message to the dead-letter queue after maxReceiveCount. */
  receiveCount: number;
}

export interface WorkerOptions {
  sqs: SQSClient;
  queueUrl: string;
  /** Resolves when the message is done with; throws to leave it on the queue. */
  handle(message: QueueMessage): Promise<void>;
  /** Aborted on SIGTERM. */
  stop: AbortSignal;
  log?: Log;
  /** Long polling: a receive waits this long for a message instead of returning empty at once. */
  waitTimeSeconds?: number;
}

/** Receives, handles and deletes messages, one at a time, until `stop` is aborted. */
export async function runWorker(options: WorkerOptions): Promise<void> {
  const { sqs, queueUrl, handle, stop, log = logToStdout, waitTimeSeconds = 20 } = options;

  const receive = async (): Promise<Message[]> => {
    try {
      const { Messages = [] } = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: queueUrl,
          MaxNumberOfMessages: 10,
          WaitTimeSeconds: waitTimeSeconds,
          MessageSystemAttributeNames: ['ApproximateReceiveCount'],
        }),
        // SIGTERM ends a long poll at once. Messages SQS had already picked for this receive stay
        // hidden until the visibility timeout, then come back: nothing is lost.
        { abortSignal: stop },
      );
      return Messages;
    } catch (error) {
      if (stop.aborted) return [];
      throw error;
    }
  };

  while (!stop.aborted) {
    const batch = await receive();
    for (const [index, message] of batch.entries()) {
      if (stop.aborted) {
        await handBack(sqs, queueUrl, batch.slice(index), log);
        break;
      }
      const queued: QueueMessage = {
        id: message.MessageId ?? '',
        body: message.Body ?? '',
        receiveCount: Number(message.Attributes?.ApproximateReceiveCount ?? 1),
      };
      try {
        await handle(queued);
      } catch (error) {
        log('warn', 'message failed: left on the queue for another try, or the dead-letter queue', {
          messageId: queued.id,
          receiveCount: queued.receiveCount,
          error: describeError(error),
        });
        continue;
      }
      // Not tied to `stop`: a message that was handled is deleted even while stopping.
      await sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: message.ReceiptHandle }));
      log('info', 'message processed', { messageId: queued.id, receiveCount: queued.receiveCount });
    }
  }
}

/**
 * Makes unhandled messages visible again now, for another task, instead of after the visibility
 * timeout. One that cannot be handed back (a failed entry) still reappears after the timeout.
 */
async function handBack(sqs: SQSClient, queueUrl: string, messages: Message[], log: Log): Promise<void> {
  await sqs.send(
    new ChangeMessageVisibilityBatchCommand({
      QueueUrl: queueUrl,
      Entries: messages.map((message, index) => ({
        Id: String(index),
        ReceiptHandle: message.ReceiptHandle,
        VisibilityTimeout: 0,
      })),
    }),
  );
  log('info', 'handed unprocessed messages back to the queue', { count: messages.length });
}

/** Adds the entry a message carries: `{"name": "...", "message": "..."}`. */
export function addToGuestbook(
  guestbook: Guestbook,
  writtenBy: GuestbookEntry['writtenBy'],
): (message: QueueMessage) => Promise<void> {
  return async ({ body }) => {
    let entry: unknown;
    try {
      entry = JSON.parse(body);
    } catch {
      throw new Error('the body is not JSON');
    }
    if (!isNewEntry(entry)) throw new Error('the body must be {"name": "...", "message": "..."}');
    await guestbook.add(entry, writtenBy);
  };
}

function isNewEntry(value: unknown): value is NewEntry {
  const entry = value as Partial<Record<keyof NewEntry, unknown>> | null;
  return typeof entry?.name === 'string' && typeof entry.message === 'string';
}

/** The command: settings from the environment, credentials and region from the task role. */
export async function main(env: NodeJS.ProcessEnv): Promise<void> {
  const queueUrl = required(env, 'QUEUE_URL');
  const guestbook = new Guestbook(await existingDirectory(env, 'GUESTBOOK_DIR'));
  const { platform, replicaId } = await detectPlatform({ env });

  const stopping = new AbortController();
  const stop = (signal: NodeJS.Signals) => {
    logToStdout('info', 'stopping: finishing the message at hand', { signal });
    stopping.abort();
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);

  const sqs = new SQSClient({});
  logToStdout('info', 'worker started', { queueUrl, volume: guestbook.dir, platform, replicaId });
  try {
    await runWorker({
      sqs,
      queueUrl,
      handle: addToGuestbook(guestbook, { platform, replica: replicaId }),
      stop: stopping.signal,
    });
  } finally {
    sqs.destroy();
  }
  logToStdout('info', 'stopped');
}
