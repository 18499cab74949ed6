// Rendering and escaping, without a server.
import { createHash } from 'node:crypto';
import type { GuestbookEntry } from '../../app/src/guestbook';
import { CONTENT_SECURITY_POLICY, escapeHtml, renderPage } from '../../app/src/page';
import type { RuntimeFacts } from '../../app/src/platform';

const FACTS: RuntimeFacts = {
  platform: 'eks-fargate',
  platformName: 'EKS on Fargate',
  replicaKind: 'pod',
  replicaId: 'web-7d9c-x2x4q',
  availabilityZone: 'unknown',
  node: 'fargate-ip-10-0-3-4.eu-west-1.compute.internal',
  hostname: 'web-7d9c-x2x4q',
  detectionErrors: [],
};

function entry(writtenBy: GuestbookEntry['writtenBy']): GuestbookEntry {
  return { id: 'e1', name: 'Ada', message: 'hi', createdAt: '2026-11-22T10:15:30.123Z', writtenBy };
}

test('escapeHtml() neutralises every character that could open markup or leave an attribute', () => {
  expect(escapeHtml(`<a href="x" title='y'>&amp;</a>`)).toBe(
    '&#60;a href=&#34;x&#34; title=&#39;y&#39;&#62;&#38;amp;&#60;/a&#62;',
  );
});

test("the Content-Security-Policy's style hash matches the page's stylesheet, so browsers apply it", () => {
  const page = renderPage({ facts: FACTS, imageVersion: 'dev', guestbook: { state: 'no-volume' } });
  const stylesheet = /<style>([^]*?)<\/style>/.exec(page)?.[1] ?? '';

  const hash = createHash('sha256').update(stylesheet).digest('base64');

  expect(CONTENT_SECURITY_POLICY).toContain(`style-src 'sha256-${hash}'`);
  expect(page).not.toMatch(/ style=|<script|<link|<img/);
});

test('entries show which platform and replica wrote them, in UTC', () => {
  const page = renderPage({
    facts: FACTS,
    imageVersion: 'dev',
    guestbook: {
      state: 'ready',
      volume: '/mnt/guestbook',
      entries: [
        entry({ platform: 'ecs-ec2', replica: '0a1b2c3d4e5f60718293a4b5c6d7e8f9' }),
        entry({ platform: 'eks-fargate', replica: 'web-7d9c-x2x4q' }),
        entry({ platform: 'from-the-future', replica: 'r1' }),
      ],
    },
  });

  expect(page).toContain('<span class="badge">ECS on EC2</span>\n<span>task <code>0a1b2c3d</code></span>');
  expect(page).toContain('<span>pod <code>web-7d9c-x2x4q</code> <span class="this">(this one)</span></span>');
  expect(page).toContain('<li class="entry platform-other">');
  expect(page).toContain('<span class="badge">from-the-future</span>\n<span>replica <code>r1</code></span>');
  expect(page).toContain('<time datetime="2026-11-22T10:15:30.123Z">2026-11-22 10:15:30 UTC</time>');
});

test('a form sent back keeps what was typed, escaped, and says what to fix next to each field', () => {
  const page = renderPage({
    facts: FACTS,
    imageVersion: 'dev',
    guestbook: { state: 'ready', volume: '/mnt/guestbook', entries: [] },
    form: {
      values: { name: '"><script>', message: '\nfirst line kept</textarea>' },
      problems: { message: 'message is required' },
    },
  });

  expect(page).toContain('value="&#34;&#62;&#60;script&#62;">');
  expect(page).toContain(
    '<textarea id="message" name="message" required aria-invalid="true" aria-describedby="message-problem" autofocus>\n\nfirst line kept&#60;/textarea&#62;</textarea>\n<p class="problem" id="message-problem">Message is required</p>',
  );
  expect(page).not.toContain('name-problem');
});

test('names and messages are shown in their own direction, isolated from the text around them', () => {
  const page = renderPage({
    facts: FACTS,
    imageVersion: 'dev',
    guestbook: {
      state: 'ready',
      volume: '/mnt/guestbook',
      entries: [entry({ platform: 'ecs-ec2', replica: 'r1' })],
    },
  });

  expect(page).toContain('<span class="name" dir="auto">Ada</span>\n<p class="message" dir="auto">hi</p>');
});
