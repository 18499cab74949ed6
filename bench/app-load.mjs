// Load figures for the sample app, next to a bare node:http "hello world" measured in the same run:
// requests per second at 64 keep-alive connections, latency, server CPU per request and the resident
// memory (RSS) under load; the page at 50 and at 5,000 guestbook entries; and the requests that fail
// when the app gets SIGTERM under that load, with its drain period and without. Each figure is printed
// next to its target. Run after `npm run build:app`: node bench/app-load.mjs
// (APP_MAIN=<path to main.js> measures another build, an older commit's say.)
//
// Everything runs on this machine over loopback: the load generator is one Node process competing with
// the server for CPU, so req/s is what this box manages, not what a task would. CPU time per request
// (read from /proc, so Linux only) is the figure that carries over: it projects the throughput of a
// 0.25 vCPU Fargate task.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { Agent, get, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { clearInterval, setInterval, setTimeout } from 'node:timers';

const MAIN = process.env.APP_MAIN ?? join(import.meta.dirname, '../app/dist/main.js');
const CONNECTIONS = 64;
const DURATION_MS = Number(process.env.BENCH_DURATION_MS ?? 5000);
const WARM_UP_MS = 1000;
const ENTRIES = 50;
const MANY_ENTRIES = 5000;
/** SIGTERM case: the drain period, and how long the load goes on after the signal (the load balancer has not seen the replica go yet). */
const DRAIN_MS = 2000;
const LOAD_AFTER_SIGNAL_MS = 1000;
const CLOCK_TICKS_PER_SECOND = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }));

const BARE_SERVER = `
  require('node:http')
    .createServer((request, response) => response.end('hello world'))
    .listen(0, '127.0.0.1', function () { console.log(JSON.stringify({ msg: 'listening', port: this.address().port })); });
`;

/** Starts a server process and resolves once it logs the port it listens on; keeps draining its log. */
async function startServer(args, env = {}) {
  const child = spawn(process.execPath, args, {
    env: { PATH: process.env.PATH, PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const log = createInterface({ input: child.stdout });
  const port = await new Promise((resolve, reject) => {
    log.on('line', (line) => {
      const record = JSON.parse(line);
      if (record.msg === 'listening') resolve(record.port);
    });
    child.once('exit', (code) => reject(new Error(`${args.join(' ')} exited with ${code}`)));
  });
  return { child, port };
}

function fetchStatus(url, agent) {
  return new Promise((resolve, reject) => {
    get(url, { agent }, (response) => response.resume().on('end', () => resolve(response.statusCode))).on(
      'error',
      reject,
    );
  });
}

/** Memory the process holds in RAM right now, from /proc/<pid>/status. */
function residentMiB(pid) {
  const kiB = Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]);
  return kiB / 1024;
}

/** CPU seconds (user + system) the process has used so far, from /proc/<pid>/stat. */
function cpuSeconds(pid) {
  // Fields after the command name, which is in parentheses and may contain spaces: utime and stime are 12 and 13.
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND;
}

/** CONNECTIONS loops, each sending GET requests back to back on its own keep-alive connection. */
async function load(url, durationMs) {
  const agent = new Agent({ keepAlive: true, maxSockets: CONNECTIONS });
  const latencies = [];
  let failures = 0;
  const deadline = performance.now() + durationMs;
  const loop = async () => {
    while (performance.now() < deadline) {
      const started = performance.now();
      const status = await fetchStatus(url, agent).catch(() => 0);
      if (status === 200) latencies.push(performance.now() - started);
      else failures++;
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: CONNECTIONS }, loop));
  const seconds = (performance.now() - started) / 1000;
  agent.destroy();
  latencies.sort((a, b) => a - b);
  const percentile = (p) => latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))];
  return {
    requests: latencies.length,
    seconds,
    perSecond: latencies.length / seconds,
    p50: percentile(0.5),
    p99: percentile(0.99),
    failures,
  };
}

/**
 * CONNECTIONS keep-alive loops on `/` across a SIGTERM: the signal after a second of load, the load
 * kept up for LOAD_AFTER_SIGNAL_MS more, then stopped. Every request must get its 200.
 */
async function sigtermUnderLoad(server) {
  const agent = new Agent({ keepAlive: true, maxSockets: CONNECTIONS });
  const url = `http://127.0.0.1:${server.port}/`;
  const exited = new Promise((resolve) => server.child.once('exit', (code) => resolve(code)));
  let stopped = false;
  let signalled = false;
  const counts = { requests: 0, failed: 0, afterSignal: 0, errors: new Set() };
  const loop = async () => {
    while (!stopped) {
      const afterSignal = signalled;
      const status = await fetchStatus(url, agent).catch((error) => error.code ?? error.message);
      counts.requests++;
      if (afterSignal) counts.afterSignal++;
      if (status !== 200) {
        counts.failed++;
        counts.errors.add(status);
      }
    }
  };
  const loops = Array.from({ length: CONNECTIONS }, loop);
  await new Promise((resolve) => setTimeout(resolve, 1000));
  server.child.kill('SIGTERM');
  signalled = true;
  await new Promise((resolve) => setTimeout(resolve, LOAD_AFTER_SIGNAL_MS));
  stopped = true;
  await Promise.all(loops);
  agent.destroy();
  return { ...counts, errors: [...counts.errors], exitCode: await exited };
}

/** Warms the server up, then measures it, sampling its RSS while the load runs. */
async function measure(name, server, path) {
  const url = `http://127.0.0.1:${server.port}${path}`;
  await load(url, WARM_UP_MS);
  let peakRss = residentMiB(server.child.pid);
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, residentMiB(server.child.pid))), 100);
  const cpuBefore = cpuSeconds(server.child.pid);
  const result = await load(url, DURATION_MS);
  const cpuUsed = cpuSeconds(server.child.pid) - cpuBefore;
  clearInterval(sampler);
  return {
    name,
    ...result,
    cpuPerRequestMs: (cpuUsed * 1000) / result.requests,
    cpuShare: cpuUsed / result.seconds,
    peakRss,
  };
}

function addEntry(port, i) {
  const body = JSON.stringify({
    name: `Visitor ${i}`,
    message: `Entry number ${i}, written before the benchmark.`,
  });
  return new Promise((resolve, reject) => {
    request(
      {
        host: '127.0.0.1',
        port,
        method: 'POST',
        path: '/api/guestbook',
        headers: { 'Content-Type': 'application/json' },
      },
      (response) =>
        response
          .resume()
          .on('end', () =>
            response.statusCode === 201 ? resolve() : reject(new Error(`${response.statusCode}`)),
          ),
    )
      .on('error', reject)
      .end(body);
  });
}

function printTable(results) {
  const [bare] = results;
  const rows = [
    [
      'case',
      'req/s',
      'vs bare',
      'p50 ms',
      'p99 ms',
      'server CPU',
      'CPU ms/req',
      'x bare',
      'req/s @ 0.25 vCPU',
      'peak RSS MiB',
      'failed',
    ],
    ...results.map((r) => [
      r.name,
      r.perSecond.toFixed(0),
      (r.perSecond / bare.perSecond).toFixed(2),
      r.p50.toFixed(1),
      r.p99.toFixed(1),
      `${(r.cpuShare * 100).toFixed(0)}%`,
      r.cpuPerRequestMs.toFixed(3),
      (r.cpuPerRequestMs / bare.cpuPerRequestMs).toFixed(1),
      (250 / r.cpuPerRequestMs).toFixed(0),
      r.peakRss.toFixed(1),
      String(r.failures),
    ]),
  ];
  printRows(rows);
}

function printRows(rows) {
  const widths = rows[0].map((_, column) => Math.max(...rows.map((row) => row[column].length)));
  for (const row of rows)
    console.log(
      row
        .map((cell, column) => (column === 0 ? cell.padEnd(widths[column]) : cell.padStart(widths[column])))
        .join('  '),
    );
}

function printTargets([bare, healthz, page, pageWithMany], drained, closedAtOnce) {
  const ratio = (a, b) => a.perSecond / b.perSecond;
  const failed = (run) =>
    `${run.failed} of ${run.requests}${run.errors.length > 0 ? ` (${run.errors.join(', ')})` : ''}`;
  console.log('');
  printRows([
    ['target', 'measured', 'wanted', ''],
    [
      '/healthz req/s vs bare node:http',
      `${ratio(healthz, bare).toFixed(2)}x`,
      '>= 0.8x',
      ratio(healthz, bare) >= 0.8 ? 'met' : 'MISSED',
    ],
    [
      `/ req/s at ${MANY_ENTRIES} entries vs at ${ENTRIES}`,
      `${ratio(pageWithMany, page).toFixed(2)}x`,
      '>= 0.8x',
      ratio(pageWithMany, page) >= 0.8 ? 'met' : 'MISSED',
    ],
    [
      `failed requests across SIGTERM, ${DRAIN_MS / 1000} s drain`,
      failed(drained),
      '0',
      drained.failed === 0 ? 'met' : 'MISSED',
    ],
    ['  the same without a drain period (as before)', failed(closedAtOnce), '', ''],
  ]);
  console.log(
    `\nSIGTERM after 1 s of load, load kept up ${LOAD_AFTER_SIGNAL_MS / 1000} s longer (the load balancer has not seen the replica go yet); ` +
      `${drained.afterSignal} requests sent after the signal to the one with a drain period; exit codes ${drained.exitCode} and ${closedAtOnce.exitCode}.`,
  );
}

if (!existsSync(MAIN)) {
  console.error(`${MAIN} is missing: run npm run build:app first`);
  process.exit(1);
}

/** Adds `count` entries through the API, `concurrency` at a time, as visitors would. */
async function addEntries(port, count, concurrency = 32) {
  let next = 0;
  const worker = async () => {
    while (next < count) await addEntry(port, ++next);
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}

const volumes = [];
const servers = [];
const startApp = async (env = {}) => {
  const volume = await mkdtemp(join(tmpdir(), 'bench-guestbook-'));
  volumes.push(volume);
  const app = await startServer([MAIN, 'serve'], { GUESTBOOK_DIR: volume, IMAGE_VERSION: 'bench', ...env });
  servers.push(app);
  return app;
};
try {
  const bare = await startServer(['-e', BARE_SERVER]);
  servers.push(bare);
  const app = await startApp();
  await addEntries(app.port, ENTRIES);
  const idleRss = residentMiB(app.child.pid);
  const seeding = performance.now();
  const appWithMany = await startApp();
  await addEntries(appWithMany.port, MANY_ENTRIES);
  const seedSeconds = (performance.now() - seeding) / 1000;

  const results = [];
  results.push(await measure('bare node:http  /', bare, '/'));
  results.push(await measure('app  /healthz', app, '/healthz'));
  results.push(await measure(`app  / (${ENTRIES} entries)`, app, '/'));
  results.push(await measure(`app  / (${MANY_ENTRIES} entries)`, appWithMany, '/'));
  printTable(results);

  const drained = await sigtermUnderLoad(await startApp({ SHUTDOWN_DRAIN_MS: String(DRAIN_MS) }));
  const closedAtOnce = await sigtermUnderLoad(await startApp({ SHUTDOWN_DRAIN_MS: '0' }));
  printTargets(results, drained, closedAtOnce);

  console.log(
    `\napp RSS at rest with ${ENTRIES} entries: ${idleRss.toFixed(1)} MiB (a 512 MiB task leaves the rest to spare); ` +
      `${MANY_ENTRIES} entries added through the API in ${seedSeconds.toFixed(1)} s, all in the current hour: the layout's worst case`,
  );
  console.log(
    `${CONNECTIONS} keep-alive connections, ${DURATION_MS / 1000} s per case, loopback, node ${process.version}`,
  );
  console.log(
    'server CPU well under 100% of a core means the load generator, not the server, set the req/s;',
  );
  console.log(
    'CPU ms/req is the cost that carries over to a task: 0.25 vCPU serves about 250 / (CPU ms/req) req/s.',
  );
} finally {
  for (const { child } of servers) child.kill();
  await Promise.all(volumes.map((volume) => rm(volume, { recursive: true, force: true })));
}
