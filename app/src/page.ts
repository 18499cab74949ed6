// The HTML page: one self-contained document (no scripts, fonts or images to fetch), so the
// Content-Security-Policy can forbid everything except the one stylesheet below, identified by its hash.
import { createHash } from 'node:crypto';
import { MESSAGE_MAX_LENGTH, NAME_MAX_LENGTH, type GuestbookEntry, type NewEntry } from './guestbook';
import { PLATFORMS, type Platform, type RuntimeFacts } from './platform';

export type GuestbookView =
  | { state: 'ready'; volume: string; entries: GuestbookEntry[] }
  | { state: 'unreadable'; volume: string }
  | { state: 'no-volume' };

/** A form sent back: what the person typed, and what to fix next to each field. */
export interface FormView {
  values: NewEntry;
  problems: Partial<Record<keyof NewEntry, string>>;
}

export interface PageView {
  facts: RuntimeFacts;
  imageVersion: string;
  guestbook: GuestbookView;
  /** Absent on a fresh page: empty fields. */
  form?: FormView;
}

/** Everything user-supplied goes through here on its way into HTML, text and attributes alike. */
export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (character) => `&#${character.charCodeAt(0)};`);
}

const STYLES = `
:root {
  color-scheme: light;
  --ink: #16202a; --muted: #5b6773; --line: #dde3ea; --paper: #f4f6f9; --card: #ffffff;
  font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", sans-serif;
  color: var(--ink); background: var(--paper);
}
.platform-ecs-ec2 { --accent: #c45500; }
.platform-ecs-fargate, .platform-ecs { --accent: #d13212; }
.platform-express { --accent: #a4136b; }
.platform-eks-ec2, .platform-eks-fargate, .platform-eks { --accent: #1a5fb4; }
.platform-apprunner { --accent: #1b7f5f; }
.platform-local, .platform-other { --accent: #5b6773; }
* { box-sizing: border-box; }
body { margin: 0; }
.wrap { max-width: 64rem; margin: 0 auto; padding: 0 1.25rem; }
header { background: var(--ink); color: #fff; padding: 2rem 0 2.25rem; border-bottom: 6px solid var(--accent); }
.eyebrow { margin: 0; font-size: .8rem; letter-spacing: .12em; text-transform: uppercase; color: #aab4bf; }
h1 { margin: .35rem 0 1.5rem; font-size: clamp(1.9rem, 4vw, 2.8rem); line-height: 1.15; font-weight: 650; }
h1 .platform { display: inline-block; padding: .05em .4em; border-radius: .3em; background: var(--accent); }
.facts { display: grid; grid-template-columns: repeat(auto-fill, minmax(16rem, 1fr)); gap: .75rem; margin: 0; }
.facts div { background: rgba(255, 255, 255, .07); border: 1px solid rgba(255, 255, 255, .12);
  border-radius: .5rem; padding: .6rem .8rem; min-width: 0; }
.facts dt { font-size: .72rem; letter-spacing: .08em; text-transform: uppercase; color: #aab4bf; }
.facts dd { margin: .2rem 0 0; font: 500 .88rem/1.35 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace;
  overflow-wrap: anywhere; }
main { padding: 2rem 0 3rem; }
h2 { margin: 0 0 .25rem; font-size: 1.4rem; }
.lede { margin: 0 0 1.25rem; color: var(--muted); line-height: 1.5; }
.columns { display: grid; grid-template-columns: minmax(15rem, 1fr) 2fr; gap: 1.5rem; align-items: start; }
@media (max-width: 44rem) { .columns { grid-template-columns: 1fr; } }
.card { background: var(--card); border: 1px solid var(--line); border-radius: .75rem; padding: 1.1rem 1.2rem; }
form label { display: block; font-weight: 600; font-size: .9rem; margin: 0 0 .3rem; }
form input, form textarea { width: 100%; font: inherit; padding: .55rem .65rem; border: 1px solid #c3ccd6;
  border-radius: .45rem; margin: 0 0 .9rem; background: #fbfcfd; }
form textarea { min-height: 7rem; resize: vertical; }
form [aria-invalid="true"] { border-color: #b3261e; margin-bottom: .3rem; }
.problem { margin: 0 0 .9rem; font-size: .85rem; font-weight: 600; color: #b3261e; }
form input:focus, form textarea:focus { outline: 2px solid var(--accent); outline-offset: 1px; }
button { font: inherit; font-weight: 600; color: #fff; background: var(--accent); border: 0; border-radius: .45rem;
  padding: .6rem 1.1rem; cursor: pointer; }
.hint { margin: .6rem 0 0; font-size: .8rem; color: var(--muted); }
.notice { margin: 0; line-height: 1.5; }
.entries { list-style: none; margin: 0; padding: 0; display: grid; gap: .75rem; }
.entry { background: var(--card); border: 1px solid var(--line); border-left: 4px solid var(--accent);
  border-radius: .6rem; padding: .8rem 1rem; }
.entry.mine { background: color-mix(in srgb, var(--accent) 7%, #fff); }
.entry .name { font-weight: 650; }
.entry .message { margin: .3rem 0 .55rem; white-space: pre-wrap; overflow-wrap: anywhere; line-height: 1.45; }
.meta { display: flex; flex-wrap: wrap; gap: .35rem .6rem; align-items: center; font-size: .8rem; color: var(--muted); }
.badge { color: #fff; background: var(--accent); border-radius: 1em; padding: .1em .65em; font-weight: 600; }
.meta code { font-size: .95em; }
.mine .this { font-weight: 600; color: var(--ink); }
.empty { color: var(--muted); margin: 0; }
footer { color: var(--muted); font-size: .8rem; padding-bottom: 2rem; }
footer a { color: inherit; }
`;

/**
 * Only the stylesheet above may apply; no scripts, frames or other origins, and forms post back here.
 * A hash instead of 'unsafe-inline' means injected markup could not even style itself.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  `style-src 'sha256-${createHash('sha256').update(STYLES).digest('base64')}'`,
  "form-action 'self'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join('; ');

export function renderPage({ facts, imageVersion, guestbook, form }: PageView): string {
  const factRows = [
    [facts.replicaKind, facts.replicaId],
    ['Availability zone', facts.availabilityZone],
    ['Image version', imageVersion],
    ['Hostname', facts.hostname],
    ...(facts.cluster === undefined ? [] : [['Cluster', facts.cluster]]),
    ...(facts.node === undefined ? [] : [['Node', facts.node]]),
    ['Shared volume', guestbook.state === 'no-volume' ? 'none' : guestbook.volume],
  ];
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(facts.platformName)} · containers-on-aws</title>
<style>${STYLES}</style>
</head>
<body class="platform-${facts.platform}">
<header>
<div class="wrap">
<p class="eyebrow">containers-on-aws · sample app</p>
<h1>Running on <span class="platform">${escapeHtml(facts.platformName)}</span></h1>
<dl class="facts">
${factRows.map(([term, value]) => `<div><dt>${escapeHtml(term)}</dt><dd>${escapeHtml(value)}</dd></div>`).join('\n')}
</dl>
</div>
</header>
<main>
<div class="wrap">
<h2>Guestbook</h2>
<p class="lede">Entries are files on a volume every task and pod shares, so an entry written through one
service shows up on all the others. Each one says which platform and ${facts.replicaKind} wrote it.</p>
${guestbook.state === 'no-volume' ? renderNoVolume(facts) : renderGuestbook(guestbook, facts, form)}
</div>
</main>
<footer><div class="wrap">The same facts as JSON: <a href="/api/info">/api/info</a>
· <a href="/api/guestbook">/api/guestbook</a></div></footer>
</body>
</html>
`;
}

function renderNoVolume(facts: RuntimeFacts): string {
  return `<div class="card"><p class="notice"><strong>No shared volume is mounted here</strong>, so this
${escapeHtml(facts.replicaKind)} cannot read or sign the guestbook. ${escapeHtml(facts.platformName)} runs
without one; everything else on this page works.</p></div>`;
}

function renderGuestbook(
  guestbook: Exclude<GuestbookView, { state: 'no-volume' }>,
  facts: RuntimeFacts,
  form: FormView = { values: { name: '', message: '' }, problems: {} },
): string {
  const entries =
    guestbook.state === 'unreadable'
      ? '<p class="empty">The guestbook could not be read right now; the container log has the details.</p>'
      : guestbook.entries.length === 0
        ? '<p class="empty">No entries yet. Be the first!</p>'
        : `<ol class="entries">\n${guestbook.entries.map((entry) => renderEntry(entry, facts)).join('\n')}\n</ol>`;
  // A problem is announced with its field (aria-describedby) and the first one gets the focus.
  const problem = (field: keyof NewEntry) => {
    const text = form.problems[field];
    if (text === undefined) return { attributes: '', after: '' };
    const focus = Object.keys(form.problems)[0] === field ? ' autofocus' : '';
    return {
      attributes: ` aria-invalid="true" aria-describedby="${field}-problem"${focus}`,
      after: `\n<p class="problem" id="${field}-problem">${escapeHtml(capitalize(text))}</p>`,
    };
  };
  const name = problem('name');
  const message = problem('message');
  // No maxlength: browsers count UTF-16 units there, so 280 emoji would not fit; the server counts
  // characters as a person sees them, and says so next to the field. The pattern refuses a name of
  // spaces only before it is sent, where the browser can. The newline after <textarea> is the one
  // HTML drops, so a message that starts with one keeps it.
  return `<div class="columns">
<form class="card" method="post" action="/guestbook">
<label for="name">Name</label>
<input id="name" name="name" required pattern=".*\\S.*" title="A name, not only spaces" autocomplete="nickname" value="${escapeHtml(form.values.name)}"${name.attributes}>${name.after}
<label for="message">Message</label>
<textarea id="message" name="message" required${message.attributes}>
${escapeHtml(form.values.message)}</textarea>${message.after}
<button type="submit">Sign the guestbook</button>
<p class="hint">Up to ${NAME_MAX_LENGTH} characters for the name and ${MESSAGE_MAX_LENGTH} for the message.</p>
</form>
<section aria-label="Latest entries">
${entries}
</section>
</div>`;
}

function renderEntry(entry: GuestbookEntry, facts: RuntimeFacts): string {
  const { platform, replica } = entry.writtenBy;
  const known = Object.hasOwn(PLATFORMS, platform) ? PLATFORMS[platform as Platform] : undefined;
  const mine = platform === facts.platform && replica === facts.replicaId;
  return `<li class="entry platform-${known ? platform : 'other'}${mine ? ' mine' : ''}">
<span class="name" dir="auto">${escapeHtml(entry.name)}</span>
<p class="message" dir="auto">${escapeHtml(entry.message)}</p>
<p class="meta"><span class="badge">${escapeHtml(known?.name ?? platform)}</span>
<span>${escapeHtml(known?.replicaKind ?? 'replica')} <code>${escapeHtml(shortId(replica))}</code>${mine ? ' <span class="this">(this one)</span>' : ''}</span>
<time datetime="${escapeHtml(entry.createdAt)}">${escapeHtml(formatTime(entry.createdAt))}</time></p>
</li>`;
}

/** ECS task ids are 32 hex digits; the first 8 tell tasks apart on a page, like short Git hashes. */
function shortId(replica: string): string {
  return /^[0-9a-f]{32}$/.test(replica) ? replica.slice(0, 8) : replica;
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** `2026-11-22T10:15:30.123Z` -> `2026-11-22 10:15:30 UTC`. */
function formatTime(isoTime: string): string {
  return isoTime.replace('T', ' ').replace(/\.\d+Z$/, ' UTC');
}
