// A stand-in for one Amazon SQS queue and its dead-letter queue, on loopback. A test double, because no
// SQS-compatible server is installed here (ElasticMQ and LocalStack are not npm packages). It speaks
// the SQS JSON protocol the real SDK v3 client uses, for the three calls the worker makes, and models
// what the worker relies on: a received message is hidden for the visibility timeout, counts its
// receives, and moves to the dead-letter queue when a receive finds it received maxReceiveCount times
// already (SQS's redrive policy).
import { createHash, randomUUID } from 'node:crypto';
import { EventEmitter, once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

interface StoredMessage {
  id: string;
  body: string;
  receiveCount: number;
  /** Epoch milliseconds from when a receive may return the message. */
  visibleAt: number;
  receiptHandle?: string;
}

export interface FakeQueueOptions {
  visibilityTimeoutMs: number;
  maxReceiveCount: number;
}

export class FakeQueue {
  /** Bodies the worker deleted, and bodies SQS moved to the dead-letter queue, in order. */
  readonly deleted: string[] = [];
  readonly deadLetters: string[] = [];
  /** ReceiveMessage calls, answered or still long-polling. */
  receiveRequests = 0;
  private readonly messages: StoredMessage[] = [];
  private readonly changes = new EventEmitter();
  private readonly server: Server;
  private port = 0;

  constructor(private readonly options: FakeQueueOptions) {
    this.server = createServer((request, response) => void this.answer(request, response));
  }

  async start(): Promise<void> {
    this.server.listen(0, '127.0.0.1');
    await once(this.server, 'listening');
    this.port = (this.server.address() as AddressInfo).port;
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  get endpoint(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get url(): string {
    return `${this.endpoint}/123456789012/guestbook-entries`;
  }

  send(body: string): void {
    this.messages.push({ id: randomUUID(), body, receiveCount: 0, visibleAt: Date.now() });
    this.changes.emit('change');
  }

  /** Bodies a receive would return now, and bodies received and not yet visible again. */
  visible(): string[] {
    return this.messages.filter((m) => m.visibleAt <= Date.now()).map((m) => m.body);
  }

  inFlight(): string[] {
    return this.messages.filter((m) => m.visibleAt > Date.now()).map((m) => m.body);
  }

  /** Resolves once `condition` holds, checked after every change to the queue. */
  async waitFor(condition: () => boolean): Promise<void> {
    while (!condition()) await once(this.changes, 'change');
  }

  private async answer(request: IncomingMessage, response: ServerResponse): Promise<void> {
    let body = '';
    for await (const chunk of request) body += chunk;
    const input = JSON.parse(body);
    const operation = String(request.headers['x-amz-target']).replace('AmazonSQS.', '');
    const reply = (status: number, output: unknown) => {
      response
        .writeHead(status, { 'Content-Type': 'application/x-amz-json-1.0' })
        .end(JSON.stringify(output));
      this.changes.emit('change');
    };
    switch (operation) {
      case 'ReceiveMessage':
        return this.receive(input, response, reply);
      case 'DeleteMessage': {
        const message = this.byReceiptHandle(input.ReceiptHandle);
        if (!message) return reply(400, { __type: 'com.amazonaws.sqs#ReceiptHandleIsInvalid' });
        this.messages.splice(this.messages.indexOf(message), 1);
        this.deleted.push(message.body);
        return reply(200, {});
      }
      case 'ChangeMessageVisibilityBatch': {
        for (const entry of input.Entries) {
          const message = this.byReceiptHandle(entry.ReceiptHandle);
          if (message) message.visibleAt = Date.now() + entry.VisibilityTimeout * 1000;
        }
        return reply(200, {
          Successful: input.Entries.map(({ Id }: { Id: string }) => ({ Id })),
          Failed: [],
        });
      }
      default:
        return reply(400, { __type: 'com.amazonaws.sqs#UnsupportedOperation', message: operation });
    }
  }

  /** Long polling: waits up to WaitTimeSeconds for a visible message, unless the client gives up first. */
  private async receive(
    input: { MaxNumberOfMessages?: number; WaitTimeSeconds?: number },
    response: ServerResponse,
    reply: (status: number, output: unknown) => void,
  ): Promise<void> {
    this.receiveRequests++;
    let abandoned = false;
    response.once('close', () => (abandoned = true));
    const deadline = Date.now() + (input.WaitTimeSeconds ?? 0) * 1000;
    for (;;) {
      if (abandoned) return;
      this.redrive();
      const ready = this.messages.filter((m) => m.visibleAt <= Date.now());
      if (ready.length > 0 || Date.now() >= deadline) break;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    const picked = this.messages
      .filter((m) => m.visibleAt <= Date.now())
      .slice(0, input.MaxNumberOfMessages ?? 1);
    for (const message of picked) {
      message.receiveCount++;
      message.visibleAt = Date.now() + this.options.visibilityTimeoutMs;
      message.receiptHandle = randomUUID();
    }
    reply(200, {
      Messages: picked.map((m) => ({
        MessageId: m.id,
        ReceiptHandle: m.receiptHandle,
        Body: m.body,
        MD5OfBody: createHash('md5').update(m.body).digest('hex'),
        Attributes: { ApproximateReceiveCount: String(m.receiveCount) },
      })),
    });
  }

  private redrive(): void {
    for (const message of [...this.messages]) {
      if (message.visibleAt <= Date.now() && message.receiveCount >= this.options.maxReceiveCount) {
        this.messages.splice(this.messages.indexOf(message), 1);
        this.deadLetters.push(message.body);
        this.changes.emit('change');
      }
    }
  }

  private byReceiptHandle(receiptHandle: string): StoredMessage | undefined {
    return this.messages.find((m) => m.receiptHandle === receiptHandle);
  }
}
