import { once } from 'node:events';
import {
  createReadStream,
  createWriteStream,
  existsSync,
  mkdtempSync,
  rmSync,
  statSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { tokenDigest } from '../commands/auth.js';
import {
  canonicalJson,
  chainHash,
  genesisHash,
  verifyChain,
  type AuditEntry,
  type ChainHead,
} from '../commands/ledger/audit.js';
import { CommandLedger } from '../commands/ledger/ledger.js';
import { applyEnvironment, configFromDocument } from '../config/load.js';
import { startExporter, type RunningExporter } from '../exporter.js';
import { capturedLogger } from '../../test/log-fixtures.js';
import { pumpSetSpeed } from '../../test/commands/pump-catalog.js';

/**
 * What the command API's audit log costs the server, against a real listening exporter and a
 * real ledger file: strangers cost nothing durable, what an authenticated refusal leaves is
 * bounded, and the export streams a large log with flat memory and a free event loop.
 */

const proxySecret = 'audit-cost-test-proxy-secret-0123456789';
const tokenOf = (user: string): string => `audit-cost-token-of-${user}-0123456789`;
const users = { olga: 'operator', vic: 'viewer', ada: 'admin' } as const;

function exporterConfig(ledgerPath: string) {
  return applyEnvironment(
    configFromDocument({
      server: { host: '127.0.0.1', otlpPort: 0, metricsPort: 0, apiPort: 0 },
      state: { snapshot: { path: ':memory:' } },
      commands: {
        enabled: true,
        ledgerPath,
        devices: 'simulated',
        auth: {
          tokens: Object.entries(users).map(([user, role]) => ({
            sha256: tokenDigest(tokenOf(user)),
            user,
            roles: [role],
          })),
          grafanaProxy: { roleMap: { Viewer: ['viewer'], Editor: ['engineer'], Admin: ['admin'] } },
        },
        catalog: {
          pump: {
            setSpeed: { ...pumpSetSpeed, risk: 'medium', simulation: { kind: 'set' } },
          },
        },
      },
    }),
    { TWINOPS_PROXY_SECRET: proxySecret },
  );
}

/** The ledger's bytes on disk: the database and its write-ahead log. */
function diskBytes(path: string): number {
  const wal = `${path}-wal`;
  return statSync(path).size + (existsSync(wal) ? statSync(wal).size : 0);
}

function auditRows(path: string): number {
  const db = new Database(path, { readonly: true });
  try {
    return db.prepare('SELECT count(*) FROM audit_log').pluck().get() as number;
  } finally {
    db.close();
  }
}

/** A command of about 60 KB: its params carry a large blob. */
function largeCommand(key: string): string {
  return JSON.stringify({
    idempotencyKey: key,
    assetId: 'pump-1',
    name: 'setSpeed',
    params: { rpm: 1100, blob: 'x'.repeat(60_000) },
    reason: 'load test',
  });
}

async function metricValue(exporter: RunningExporter, series: string): Promise<number> {
  const text = await (await fetch(`${exporter.urls.metrics}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line ? Number(line.slice(series.length + 1)) : 0;
}

/** Runs `count` calls, `concurrency` at a time. */
async function inParallel(count: number, concurrency: number, call: (i: number) => Promise<void>) {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) await call(next++);
    }),
  );
}

describe('strangers and large requests cost the ledger nothing, or little', () => {
  let dir: string;
  let ledgerPath: string;
  let exporter: RunningExporter;
  // Warnings and errors: the lines about strangers, not the access records.
  const log = capturedLogger('warn');

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'twinops-audit-cost-'));
    ledgerPath = join(dir, 'ledger.db');
    exporter = await startExporter(exporterConfig(ledgerPath), { logger: log.logger });
  });
  afterAll(async () => {
    await exporter?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const attacks: { reason: string; headers: Record<string, string> }[] = [
    { reason: 'no_credentials', headers: {} },
    { reason: 'unknown_token', headers: { Authorization: 'Bearer stolen-or-guessed-token' } },
    {
      reason: 'bad_proxy_secret',
      headers: {
        'X-Twinops-Proxy-Secret': 'guessed-secret',
        'X-Grafana-Context': JSON.stringify({ Login: 'ada', OrgRole: 'Admin', UserID: 1 }),
        'X-Grafana-Org-Role': 'Admin',
      },
    },
  ];

  it.each(attacks)(
    '1,000 unauthenticated 60 KB submissions ($reason) grow the ledger by ~0 bytes',
    async ({ reason, headers }) => {
      const recordsBefore = log.records().length;
      const rowsBefore = auditRows(ledgerPath);
      const bytesBefore = diskBytes(ledgerPath);
      const body = largeCommand(`attack-${reason}`);
      expect(body.length).toBeGreaterThan(60_000);
      const statuses = new Map<number, number>();
      const started = performance.now();
      await inParallel(1000, 16, async () => {
        const response = await fetch(`${exporter.urls.api}/api/v1/commands`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json', ...headers },
          body,
        });
        await response.arrayBuffer();
        statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
      });
      const seconds = (performance.now() - started) / 1000;

      expect(Object.fromEntries(statuses)).toEqual({ 401: 1000 });
      expect(auditRows(ledgerPath)).toBe(rowsBefore);
      const grown = diskBytes(ledgerPath) - bytesBefore;
      expect(grown).toBeLessThan(64 * 1024);
      const series = `twin_command_unauthenticated_total{route="submit",reason="${reason}"}`;
      expect(await metricValue(exporter, series)).toBe(1000);
      // One line per reason per 10 s, naming no header value.
      const lines = log
        .records()
        .slice(recordsBefore)
        .map((record) => JSON.stringify(record));
      expect(lines.length).toBeLessThanOrEqual(1);
      for (const line of lines) {
        expect(line).toContain(reason);
        expect(line).not.toMatch(/stolen|guessed|ada/);
      }
      console.info(
        `${reason}: 1000 × ${body.length} B in ${seconds.toFixed(2)} s, ledger grew ${grown} B`,
      );
    },
    60_000,
  );

  it('audits an authenticated refusal of 60 KB params by digest, in a bounded row', async () => {
    const submit = async (user: keyof typeof users, key: string, body = largeCommand(key)) =>
      fetch(`${exporter.urls.api}/api/v1/commands`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${tokenOf(user)}` },
        body,
      });
    // A viewer may not submit (403); an operator's params fail the catalog schema (422).
    expect((await submit('vic', 'viewer-large-1')).status).toBe(403);
    expect((await submit('olga', 'operator-large-1')).status).toBe(422);

    const db = new Database(ledgerPath, { readonly: true });
    const rows = db
      .prepare(
        `SELECT actor, action, length(details) AS bytes, details FROM audit_log
         WHERE actor IN ('vic', 'olga') ORDER BY seq`,
      )
      .all() as { actor: string; action: string; bytes: number; details: string }[];
    const records = db
      .prepare(`SELECT username, length(params) AS bytes FROM commands ORDER BY position`)
      .all() as { username: string; bytes: number }[];
    db.close();

    expect(rows.map((r) => [r.actor, r.action])).toEqual([
      ['vic', 'command.refused'],
      ['olga', 'command.refused'],
    ]);
    for (const row of rows) {
      expect(row.bytes).toBeLessThan(4096);
      const details = JSON.parse(row.details) as { request: { params: unknown } };
      expect(details.request.params).toEqual({
        digest: expect.stringMatching(/^[0-9a-f]{64}$/),
        bytes: canonicalJson({ rpm: 1100, blob: 'x'.repeat(60_000) }).length,
      });
    }
    // Their command records (the spent keys) keep the digest too.
    expect(records.map((r) => r.username)).toEqual(['vic', 'olga']);
    for (const record of records) expect(record.bytes).toBeLessThan(200);
    console.info(`authenticated refusals: audit rows of ${rows.map((r) => r.bytes).join(', ')} B`);
  });
});

/**
 * Appends `count` valid entries straight to the ledger file in one transaction (what years of
 * commands would leave), chained to its current head.
 */
function appendEntries(path: string, count: number): ChainHead {
  const db = new Database(path);
  const head = (db.prepare('SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1').get() as
    ChainHead | undefined) ?? { seq: 0, hash: genesisHash };
  const insert = db.prepare(
    `INSERT INTO audit_log (seq, at_ms, actor, action, command_id, asset_id, details, prev_hash, hash)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  let previous = head;
  db.transaction(() => {
    for (let i = 1; i <= count; i++) {
      const entry = {
        seq: previous.seq + 1,
        atMs: 1_700_000_000_000 + i,
        actor: 'olga',
        action: 'command.refused',
        commandId: undefined,
        assetId: `pump-${i % 997}`,
      };
      const detailsJson = canonicalJson({
        request: { name: 'setSpeed', params: { rpm: i % 1500 } },
        status: 'refused',
      });
      const hash = chainHash(previous.hash, entry, detailsJson);
      insert.run(
        entry.seq,
        entry.atMs,
        entry.actor,
        entry.action,
        null,
        entry.assetId,
        detailsJson,
        previous.hash,
        hash,
      );
      previous = { seq: entry.seq, hash };
    }
  })();
  db.close();
  return previous;
}

/** `global.gc`: the heap is measured without garbage in it, as what the export retains. */
function collector(): () => void {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

describe('the audit export streams a large log', () => {
  const entries = 200_000;
  let dir: string;
  let ledgerPath: string;
  let exporter: RunningExporter;
  let head: ChainHead;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'twinops-audit-export-'));
    ledgerPath = join(dir, 'ledger.db');
    new CommandLedger(ledgerPath).close();
    head = appendEntries(ledgerPath, entries);
    exporter = await startExporter(exporterConfig(ledgerPath));
  }, 120_000);
  afterAll(async () => {
    await exporter?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('in many chunks, every line verifying, with a free event loop and flat memory', async () => {
    const gc = collector();
    gc();
    const baseline = process.memoryUsage().heapUsed;
    let peak = baseline;
    const delay = monitorEventLoopDelay({ resolution: 10 });
    // The test's own collections are no pause of the export's: the delay is not sampled then.
    const sampleHeap = () => {
      delay.disable();
      gc();
      peak = Math.max(peak, process.memoryUsage().heapUsed);
      delay.enable();
    };
    // The export's own turns: each page is read and written out synchronously, so its span is
    // the longest the export holds the event loop.
    const spans: number[] = [];
    const original = CommandLedger.prototype.exportAudit;
    const spy = vi.spyOn(CommandLedger.prototype, 'exportAudit').mockImplementation(function (
      this: CommandLedger,
      ...args: Parameters<CommandLedger['exportAudit']>
    ) {
      const exported = original.apply(this, args);
      if (!exported.ok) return exported;
      const timed = function* () {
        const pages = exported.pages[Symbol.iterator]();
        for (;;) {
          const begun = performance.now();
          const page = pages.next();
          spans.push(performance.now() - begun);
          if (page.done) return;
          yield page.value;
        }
      };
      return { ...exported, pages: timed() };
    });
    delay.enable();
    const started = performance.now();

    const response = await fetch(`${exporter.urls.api}/api/v1/audit/export`, {
      headers: { Authorization: `Bearer ${tokenOf('vic')}` },
    });
    expect(response.status).toBe(200);
    let previous: ChainHead = {
      seq: Number(response.headers.get('x-twinops-audit-start-seq')),
      hash: response.headers.get('x-twinops-audit-start-hash') ?? '',
    };
    expect(previous).toEqual({ seq: 0, hash: genesisHash });
    // Kept as received (a holder's copy); the chain is verified from it once the export is done,
    // so the test's hashing does not share the event loop with the export it measures.
    const copy = join(dir, 'export.ndjson');
    const file = createWriteStream(copy);
    const decoder = new TextDecoder();
    let chunks = 0;
    let bytes = 0;
    let lines = 0;
    let partial = '';
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
      chunks++;
      bytes += chunk.byteLength;
      const text = partial + decoder.decode(chunk, { stream: true });
      const complete = text.split('\n');
      partial = complete.pop() ?? '';
      for (const line of complete) {
        expect(typeof (JSON.parse(line) as AuditEntry).seq).toBe('number');
        lines++;
      }
      if (!file.write(chunk)) await once(file, 'drain');
      if (chunks % 200 === 0) sampleHeap();
    }
    const seconds = (performance.now() - started) / 1000;
    delay.disable();
    spy.mockRestore();
    file.end();
    await once(file, 'finish');

    expect(partial).toBe('');
    expect(lines).toBe(entries);
    // The chain, line by line from where the export said it starts.
    let failure: unknown;
    for await (const line of createInterface({ input: createReadStream(copy) })) {
      const entry = JSON.parse(line) as AuditEntry;
      const verified = verifyChain([entry], undefined, previous);
      if (!verified.ok && failure === undefined) failure = verified;
      previous = { seq: entry.seq, hash: entry.hash };
    }
    expect(failure).toBeUndefined();
    expect(previous).toEqual(head);
    expect(bytes).toBeGreaterThan(50 * 1024 * 1024);
    expect(chunks).toBeGreaterThan(100);
    const maxDelayMs = delay.max / 1e6;
    const heapGrowth = peak - baseline;
    const longestPage = Math.max(...spans);
    console.info(
      `export: ${lines} lines, ${(bytes / 1024 / 1024).toFixed(1)} MiB in ${chunks} chunks, ` +
        `${spans.length} pages (longest ${longestPage.toFixed(1)} ms), ${seconds.toFixed(1)} s; ` +
        `event loop max delay ${maxDelayMs.toFixed(1)} ms; ` +
        `p99 ${(delay.percentile(99) / 1e6).toFixed(1)} ms; ` +
        `heap ${(heapGrowth / 1024 / 1024).toFixed(1)} MiB over baseline at most`,
    );
    expect(spans.length).toBeGreaterThan(100);
    expect(longestPage).toBeLessThan(100);
    // Alone on a quiet machine the delay stays under 100 ms (40-90 ms measured beside other
    // suites); on a shared CI machine other processes add pauses of their own, so this bound only
    // says the log is never built in one turn (which took seconds at this size).
    expect(maxDelayMs).toBeLessThan(1000);
    expect(heapGrowth).toBeLessThan(30 * 1024 * 1024);
  }, 120_000);
});
