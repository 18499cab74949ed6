/**
 * HTTP as a non-browser client sends it: node:http and node:https with only the headers given (no
 * Origin, no Sec-Fetch-*), a timeout on every request, and the whole answer read as text.
 */
import { request as httpRequest, type Agent, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { Interrupted } from './runner';

export interface Answer {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

export interface RequestOptions {
  readonly method?: 'GET' | 'POST' | 'HEAD';
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string;
  readonly timeoutMs: number;
  readonly signal?: AbortSignal;
  readonly agent?: Agent;
}

/** `path` on `base`, keeping the base's query: `http://alb/?platform=ecs-ec2` + `/api/info` -> `http://alb/api/info?platform=ecs-ec2`. */
export function at(base: string, path: string): string {
  const url = new URL(base);
  const target = new URL(path, url);
  url.searchParams.forEach((value, key) => target.searchParams.set(key, value));
  return target.toString();
}

/** Sends one request; rejects with a one-line error on a network failure or a timeout. */
export function send(url: string, options: RequestOptions): Promise<Answer> {
  const { method = 'GET', headers = {}, body, timeoutMs, signal, agent } = options;
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new Interrupted());
    const request = (url.startsWith('https:') ? httpsRequest : httpRequest)(
      url,
      {
        method,
        agent,
        headers:
          body === undefined ? headers : { ...headers, 'Content-Length': String(Buffer.byteLength(body)) },
        timeout: timeoutMs,
        signal,
      },
      (response) => {
        let text = '';
        response.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
        response.on('end', () =>
          resolve({ status: response.statusCode ?? 0, headers: response.headers, body: text }),
        );
        response.on('error', (error) => reject(new Error(`${method} ${url}: ${error.message}`)));
      },
    );
    request.on('timeout', () => request.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    request.on('error', (error: NodeJS.ErrnoException) =>
      reject(
        signal?.aborted ? new Interrupted() : new Error(`${method} ${url}: ${error.code ?? error.message}`),
      ),
    );
    request.end(body);
  });
}

/** POSTs `value` as JSON. */
export function postJson(url: string, value: unknown, options: RequestOptions): Promise<Answer> {
  const body = typeof value === 'string' ? value : JSON.stringify(value);
  return send(url, { ...options, method: 'POST', headers: { 'Content-Type': 'application/json' }, body });
}

/** The body as JSON, or a one-line error quoting the start of what came instead. */
export function json<T>(answer: Answer, what: string): T {
  try {
    return JSON.parse(answer.body) as T;
  } catch {
    throw new Error(
      `${what}: expected JSON, got ${answer.status} ${JSON.stringify(answer.body.slice(0, 80))}`,
    );
  }
}
