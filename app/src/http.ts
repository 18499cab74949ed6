// The little HTTP toolkit the server needs on top of node:http: replies as values, errors that carry
// a status, and request bodies read with a size cap.
import type { IncomingMessage, OutgoingHttpHeaders } from 'node:http';

/** What a route answers; the server adds the headers every response shares and writes it. */
export interface Reply {
  status: number;
  headers?: OutgoingHttpHeaders;
  body?: string;
}

/** An error the client caused or can act on: its message is shown to them. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly headers: OutgoingHttpHeaders = {},
  ) {
    super(message);
  }
}

export function html(status: number, body: string): Reply {
  return { status, headers: { 'Content-Type': 'text/html; charset=utf-8' }, body };
}

export function json(status: number, value: unknown): Reply {
  return { status, headers: { 'Content-Type': 'application/json' }, body: `${JSON.stringify(value)}\n` };
}

export function text(status: number, message: string): Reply {
  return { status, headers: { 'Content-Type': 'text/plain; charset=utf-8' }, body: `${message}\n` };
}

/** `application/JSON; charset=utf-8` -> `application/json`; no header -> ''. */
export function mediaType(request: IncomingMessage): string {
  return (request.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
}

/**
 * Reads the whole body as UTF-8, refusing more than `limit` bytes with 413: up front when Content-Length
 * says so, otherwise as soon as the count passes the limit. The rest of an oversized body is left
 * unread; node:http discards it once the reply is sent, so the connection stays usable.
 */
export function readBody(request: IncomingMessage, limit: number): Promise<string> {
  const tooLarge = new HttpError(413, `Request body is larger than ${limit} bytes`);
  if (Number(request.headers['content-length']) > limit) return Promise.reject(tooLarge);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        // Stop collecting but keep the stream flowing, so node can discard the rest.
        request.off('data', onData);
        reject(tooLarge);
        return;
      }
      chunks.push(chunk);
    };
    request.on('data', onData);
    request.on('end', () => {
      try {
        resolve(new TextDecoder('utf-8', { fatal: true }).decode(Buffer.concat(chunks)));
      } catch {
        reject(new HttpError(400, 'Request body is not valid UTF-8'));
      }
    });
    // The client went away mid-body ('error' is node's "aborted"; a no-op once the promise has settled).
    // Its doing, not ours: an HttpError, so no error log, and the request line says `aborted`.
    const endedEarly = () => reject(new HttpError(400, 'Request body ended early'));
    request.on('error', endedEarly);
    request.on('close', endedEarly);
  });
}
