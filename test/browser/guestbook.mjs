// Browser check of the real page, run by CI after `npm run build:app`: node test/browser/guestbook.mjs
// It starts the bundled server (app/dist/main.js) on loopback as if it were an ECS on Fargate task (a
// fake task metadata endpoint stands in for the ECS agent), signs the guestbook in Chromium through
// playwright-core, checks the entry is listed and saves a screenshot (path in SCREENSHOT). Then, with
// JavaScript off, what a person gets wrong: a name of spaces stays in the browser, a message of 281
// emoji comes back from the server with the problem next to it and nothing typed lost, 280 go in.
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { chromium } from 'playwright-core';

/* global getComputedStyle -- used in code that playwright runs inside the page */

const MAIN = join(import.meta.dirname, '../../app/dist/main.js');
const SCREENSHOT = process.env.SCREENSHOT ?? join(tmpdir(), `guestbook-${process.pid}.png`);

/** The ECS agent's task metadata v4 `/task` document, trimmed to what the app reads. */
const TASK = {
  LaunchType: 'FARGATE',
  TaskARN: 'arn:aws:ecs:eu-west-1:123456789012:task/containers-on-aws/3f9c2a7e51b84d0c9e6a1b2c3d4e5f60',
  AvailabilityZone: 'eu-west-1b',
  Cluster: 'arn:aws:ecs:eu-west-1:123456789012:cluster/containers-on-aws',
};

/**
 * Entries "other replicas" wrote earlier, as files on the shared volume, in the flat layout versions
 * before the hour directories wrote (the page still lists those).
 */
const EARLIER_ENTRIES = [
  [
    'ecs-ec2',
    '8d21f0c4a9b34e6f8a7b6c5d4e3f2a1b',
    'Priya',
    'Written through the ECS on EC2 service. Same volume!',
  ],
  ['eks-fargate', 'web-6f7d9c8b5-x2x4q', 'Kenji', 'Hello from a pod on EKS on Fargate.'],
];

function assert(condition, message) {
  if (!condition) throw new Error(message);
}

async function listen(server) {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return server.address().port;
}

async function seedVolume(volume) {
  const now = Date.now();
  await Promise.all(
    EARLIER_ENTRIES.map(([platform, replica, name, message], i) => {
      const createdAt = new Date(now - (EARLIER_ENTRIES.length - i) * 7 * 60_000).toISOString();
      const id = randomUUID();
      const entry = { id, name, message, createdAt, writtenBy: { platform, replica } };
      return writeFile(join(volume, `${createdAt.replace(/[:.]/g, '-')}-${id}.json`), JSON.stringify(entry));
    }),
  );
}

/** Starts `node app/dist/main.js serve` on a free port; resolves once it logs that it listens. */
async function startApp(env) {
  const app = spawn(process.execPath, [MAIN, 'serve'], {
    env: { PATH: process.env.PATH, PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  // readline keeps reading the log after the line we wait for, so the app never writes to a closed pipe.
  const log = createInterface({ input: app.stdout });
  const listening = await new Promise((resolve, reject) => {
    log.on('line', (line) => {
      const record = JSON.parse(line);
      if (record.msg === 'listening') resolve(record);
    });
    app.once('exit', (code) => reject(new Error(`the app exited with ${code} before listening`)));
  });
  return { app, url: `http://127.0.0.1:${listening.port}/` };
}

async function check(url) {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
    // A Content-Security-Policy violation (say, a stylesheet whose hash no longer matches) is a console error.
    const consoleErrors = [];
    page.on('console', (message) => message.type() === 'error' && consoleErrors.push(message.text()));

    await page.goto(url);
    assert((await page.textContent('h1')).includes('ECS on Fargate'), 'the heading names the platform');
    const headerColour = await page.$eval('header', (header) => getComputedStyle(header).backgroundColor);
    assert(headerColour === 'rgb(22, 32, 42)', `the stylesheet applies (header background ${headerColour})`);

    await page.fill('#name', 'Ada');
    await page.fill('#message', 'Signed in Chromium, served by a Fargate task.');
    await page.click('button[type=submit]');
    await page.waitForURL(url);

    const newest = page.locator('.entry').first();
    assert(
      (await newest.locator('.message').textContent()) === 'Signed in Chromium, served by a Fargate task.',
      'the new entry is listed first',
    );
    assert((await newest.textContent()).includes('(this one)'), 'the entry says this task wrote it');
    assert((await page.locator('.entry').count()) === 3, 'the entries from other replicas are listed too');
    assert(consoleErrors.length === 0, `no console errors: ${consoleErrors.join('; ')}`);

    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    console.log(`screenshot: ${SCREENSHOT}`);
    await checkMistakes(browser, url);
  } finally {
    await browser.close();
  }
}

/** What a person gets wrong, with JavaScript off: the form works without it (the page has none). */
async function checkMistakes(browser, url) {
  const context = await browser.newContext({
    javaScriptEnabled: false,
    viewport: { width: 1100, height: 900 },
  });
  try {
    const page = await context.newPage();
    await page.goto(url);
    await page.fill('#name', '   ');
    await page.fill('#message', 'Only spaces for a name');
    await page.click('button[type=submit]');
    assert((await page.locator('#name:invalid').count()) === 1, 'the browser refuses a name of only spaces');
    assert((await page.locator('.problem').count()) === 0, 'and sends nothing');

    const family = '👨‍👩‍👧';
    await page.fill('#name', 'Ada');
    await page.fill('#message', family.repeat(281));
    const [response] = await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')]);
    assert(response.status() === 400, `281 emoji are refused with 400 (got ${response.status()})`);
    assert(
      (await page.textContent('#message-problem')) === 'Message is longer than 280 characters',
      'the problem is shown next to the message',
    );
    assert((await page.inputValue('#name')) === 'Ada', 'the name typed is kept');
    assert((await page.inputValue('#message')) === family.repeat(281), 'the message typed is kept');
    assert((await page.textContent('h1')).includes('ECS on Fargate'), 'it is the whole page again');

    await page.fill('#message', family.repeat(280));
    await page.click('button[type=submit]');
    await page.waitForURL(url);
    assert(
      (await page.locator('.entry .message').first().textContent()) === family.repeat(280),
      '280 emoji are 280 characters: the entry is listed',
    );
  } finally {
    await context.close();
  }
}

const volume = await mkdtemp(join(tmpdir(), 'guestbook-browser-'));
const metadata = createServer((request, response) => {
  response.writeHead(request.url === '/v4/task-1/task' ? 200 : 404).end(JSON.stringify(TASK));
});
let app;
let passed = false;
try {
  await seedVolume(volume);
  const metadataPort = await listen(metadata);
  let url;
  ({ app, url } = await startApp({
    GUESTBOOK_DIR: volume,
    IMAGE_VERSION: '2026.11.22-1a2b3c4',
    ECS_CONTAINER_METADATA_URI_V4: `http://127.0.0.1:${metadataPort}/v4/task-1`,
  }));
  await check(url);
  passed = true;
} catch (error) {
  console.error(error);
} finally {
  app?.kill();
  metadata.close();
  await rm(volume, { recursive: true, force: true });
}
console.log(`browser: ${passed ? '1 passed, 0 failed' : '0 passed, 1 failed'}`);
process.exitCode = passed ? 0 : 1;
