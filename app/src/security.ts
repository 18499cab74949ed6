// What the app does for the browser's security, in one place: the headers every response carries, and
// the check that refuses writes another site's page makes a browser send (cross-site request forgery).
import type { IncomingMessage, OutgoingHttpHeaders } from 'node:http';
import { HttpError } from './http';
import { CONTENT_SECURITY_POLICY } from './page';

const HEADERS = {
  'Content-Security-Policy': CONTENT_SECURITY_POLICY,
  'X-Content-Type-Options': 'nosniff',
  // Our own pages only: other sites learn nothing. Not no-referrer: under it browsers send `Origin: null`
  // with our own form posts, and refuseCrossSite needs the real one.
  'Referrer-Policy': 'same-origin',
  // The page needs none of the browser's powerful features, so no injected or framed content gets them.
  'Permissions-Policy': 'camera=(), microphone=(), geolocation=(), payment=(), usb=()',
  // No other site's window keeps a handle on ours, and no other site can load our responses.
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

/** The security headers every response carries; a checker can import the list from here. */
export const SECURITY_HEADER_NAMES: readonly string[] = Object.keys(HEADERS);

/**
 * Sent only on requests that reached the load balancer over HTTPS (it says so in X-Forwarded-Proto):
 * browsers ignore it over plain HTTP, and the sandbox's load balancers listen on HTTP alone. No
 * includeSubDomains: the app does not know what else runs under the domain it is given.
 */
export const HTTPS_ONLY_HEADER_NAMES: readonly string[] = ['Strict-Transport-Security'];

export function securityHeaders(request: IncomingMessage): OutgoingHttpHeaders {
  const https = firstValue(request.headers['x-forwarded-proto'])?.toLowerCase() === 'https';
  return https ? { ...HEADERS, 'Strict-Transport-Security': 'max-age=31536000' } : HEADERS;
}

/**
 * Refuses a write a browser sends on behalf of another site: browsers mark every request with where
 * it came from (Sec-Fetch-Site; Origin on every POST), and a page elsewhere cannot forge either.
 * Requests without both headers come from programs (curl, the verify tool, other services) and
 * pass: no browser holds a credential of ours to abuse. Same-site is not enough: sibling
 * subdomains (other apps under one parent domain) are other sites to us.
 */
export function refuseCrossSite(request: IncomingMessage): void {
  const site = request.headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin' && site !== 'none') {
    throw new HttpError(
      403,
      `Cross-site request refused: Sec-Fetch-Site is ${site}, only same-origin writes are allowed`,
    );
  }
  const origin = request.headers.origin;
  if (origin === undefined) return;
  // The host the browser addressed: the load balancer passes Host on; a proxy in front may set X-Forwarded-Host.
  const host = (firstValue(request.headers['x-forwarded-host']) ?? request.headers.host ?? '').toLowerCase();
  if (hostOf(origin) !== host) {
    throw new HttpError(403, `Cross-site request refused: Origin ${origin} is not this site (${host})`);
  }
}

/** `https://Example.com:8443` -> `example.com:8443`; `null` and other non-URLs -> undefined. */
function hostOf(origin: string): string | undefined {
  try {
    return new URL(origin).host;
  } catch {
    return undefined;
  }
}

/** The first of a comma-separated list, as proxies append theirs. */
function firstValue(header: string | string[] | undefined): string | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  return value?.split(',')[0].trim() || undefined;
}
