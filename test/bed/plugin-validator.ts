import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { progress, withHeartbeat } from '../../tools/log.js';
import { run, tail } from '../../tools/process.js';
import { cachePath, repoRoot } from '../../tools/paths.js';
import { requireCommand } from './system.js';

/**
 * Grafana's plugin validator (`plugincheck2`), the check Grafana runs on every plugin submitted
 * to its catalog. Its npm wrapper downloads a prebuilt binary at first run, so where the shared
 * tools sit beside the checkout (`../shared/tools/plugin-validator/`: the source archive and a
 * `build.sh`), it is built from that source with Go, once per set of inputs; elsewhere it runs
 * through `npx @grafana/plugin-validator` at the same version.
 */
export const PLUGIN_VALIDATOR_VERSION = '0.45.6';

/** The shared tools folder, beside the checkout (absent on a machine without `../shared`). */
export const pluginValidatorSourceDir = resolve(
  repoRoot,
  '..',
  'shared',
  'tools',
  'plugin-validator',
);

/** How to invoke the validator: `command ...args <validator flags> <zip>`. */
export interface PluginValidator {
  command: string;
  args: string[];
  /** `source`: built here from the shared source; `npx`: the npm wrapper's binary. */
  origin: 'source' | 'npx';
  /** Every analyzer the binary holds, by the name `-analyzer` takes (known for source builds). */
  analyzers?: string[];
}

let installed: Promise<PluginValidator> | undefined;

/**
 * Builds plugincheck2 once per inputs (the source archive, build.sh and the Go version) under
 * `~/.cache/twinops/plugin-validator/<hash>/`, or prepares the npx fallback; returns how to run it.
 */
export function installPluginValidator(): Promise<PluginValidator> {
  installed ??= (
    existsSync(join(pluginValidatorSourceDir, 'build.sh')) ? buildFromSource() : viaNpx()
  ).catch((error: unknown) => {
    installed = undefined;
    throw error;
  });
  return installed;
}

async function buildFromSource(): Promise<PluginValidator> {
  const goBinary = requireCommand(
    'go',
    'building plugincheck2 from ../shared/tools/plugin-validator needs the Go toolchain',
  );
  const buildScript = join(pluginValidatorSourceDir, 'build.sh');
  const archives = readdirSync(pluginValidatorSourceDir)
    .filter((name) => name.endsWith('.tar.gz'))
    .sort();
  if (!archives.length) throw new Error(`no source archive in ${pluginValidatorSourceDir}`);
  const { stdout: goVersion } = await run(goBinary, ['version']);
  // The cache key is everything the binary is made of, so a new archive, a changed build.sh or a
  // new Go rebuilds it, and the same inputs on another checkout reuse it.
  const hash = createHash('sha256');
  for (const file of [...archives.map((name) => join(pluginValidatorSourceDir, name)), buildScript])
    hash.update(file.slice(pluginValidatorSourceDir.length)).update(readFileSync(file));
  hash.update(goVersion.trim());
  const dir = cachePath('plugin-validator', hash.digest('hex').slice(0, 16));
  const binary = join(dir, 'plugincheck2');
  if (!existsSync(binary)) {
    const scratch = `${dir}.partial-${process.pid}`;
    rmSync(scratch, { recursive: true, force: true });
    mkdirSync(scratch, { recursive: true });
    try {
      await withHeartbeat(
        'plugin-validator',
        `building plugincheck2 with build.sh (${archives.join(', ')}, ${goVersion.trim()})`,
        () => run('bash', [buildScript, join(scratch, 'plugincheck2')]),
        { cold: 'once per source and Go version, a few minutes on 2 cores' },
      );
      const names = await analyzerNames(
        join(pluginValidatorSourceDir, archives[archives.length - 1]!),
        readFileSync(buildScript, 'utf8'),
        scratch,
      );
      writeFileSync(join(scratch, 'analyzers.json'), `${JSON.stringify(names, null, 2)}\n`);
      mkdirSync(dirname(dir), { recursive: true });
      rmSync(dir, { recursive: true, force: true });
      renameSync(scratch, dir);
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  }
  const analyzers = JSON.parse(readFileSync(join(dir, 'analyzers.json'), 'utf8')) as string[];
  return { command: binary, args: [], origin: 'source', analyzers };
}

/**
 * The names of the analyzers in the archive's `passes.Analyzers` (the list plugincheck2 runs), less
 * those build.sh deletes from it, read from each analyzer's `Name:`. The full run stops at the
 * first analyzer that returns an error (a network fetch, offline) and still exits 0 with what it
 * has, so the rest must be run one by one with `-analyzer NAME`: this is that list.
 */
async function analyzerNames(
  archive: string,
  buildScript: string,
  scratch: string,
): Promise<string[]> {
  const tree = join(scratch, 'src');
  mkdirSync(tree, { recursive: true });
  try {
    await run('tar', ['-xzf', archive, '-C', tree, '--wildcards', '*/pkg/analysis/passes/*']);
    const [top] = readdirSync(tree);
    const passes = join(tree, top ?? '', 'pkg', 'analysis', 'passes');
    const list = /var Analyzers = \[\]\*analysis\.Analyzer\{([^}]*)\}/.exec(
      readFileSync(join(passes, 'analysis.go'), 'utf8'),
    )?.[1];
    if (!list) throw new Error(`no Analyzers list in ${archive}`);
    // build.sh deletes lines such as `osvscanner.Analyzer,` from that list.
    const removed = new Set([...buildScript.matchAll(/\/(\w+)\\\.Analyzer,\/d/g)].map((m) => m[1]));
    return [...list.matchAll(/(\w+)\.Analyzer,/g)]
      .map((m) => m[1]!)
      .filter((pkg) => !removed.has(pkg))
      .map((pkg) => {
        const source = readdirSync(join(passes, pkg))
          .filter((f) => f.endsWith('.go') && !f.endsWith('_test.go'))
          .map((f) => readFileSync(join(passes, pkg, f), 'utf8'))
          .join('\n');
        const name = /var Analyzer = &analysis\.Analyzer\{\s*Name:\s*"([^"]+)"/.exec(source)?.[1];
        if (!name) throw new Error(`no analyzer Name in ${pkg}`);
        return name;
      });
  } finally {
    rmSync(tree, { recursive: true, force: true });
  }
}

async function viaNpx(): Promise<PluginValidator> {
  const validator: PluginValidator = {
    command: 'npx',
    args: ['--yes', `@grafana/plugin-validator@${PLUGIN_VALIDATOR_VERSION}`],
    origin: 'npx',
  };
  progress(
    'plugin-validator',
    `${pluginValidatorSourceDir} is absent: using npx @grafana/plugin-validator@${PLUGIN_VALIDATOR_VERSION}`,
  );
  // The first run downloads the binary; `-help` makes that happen at install time, not mid-test.
  const { code, output } = await withHeartbeat(
    'plugin-validator',
    `npx @grafana/plugin-validator@${PLUGIN_VALIDATOR_VERSION} -help (downloads its binary)`,
    () => spawnCollect(validator.command, [...validator.args, '-help']),
    { cold: 'first run only, under a minute' },
  );
  if (code !== 0)
    throw new Error(`npx @grafana/plugin-validator failed (exit ${code})\n${tail(output, 20)}`);
  return validator;
}

/** One finding of the validator, as its JSON output gives it, with the analyzer that made it. */
export interface PluginValidatorFinding {
  analyzer: string;
  Severity: 'error' | 'warning' | 'ok' | 'suspected' | 'recommendation';
  Title: string;
  Detail: string;
  Context?: string;
  Name: string;
}

export interface PluginValidatorReport {
  id: string;
  version: string;
  /** Every finding, of the full run and of the analyzers run one by one after it stopped. */
  findings: PluginValidatorFinding[];
  /** The analyzers that ran to their end. */
  ran: string[];
  /** The analyzers that could not run, with the validator's own reason. */
  couldNotRun: Record<string, string>;
}

interface SingleRun {
  id: string;
  version: string;
  findings: PluginValidatorFinding[];
  started: string[];
  failure?: string;
}

/** One plugincheck2 run with `DEBUG=1`: its log lines say which analyzers ran and why it stopped. */
async function runOnce(
  validator: PluginValidator,
  zip: string,
  flags: string[],
): Promise<SingleRun> {
  const { code, stdout, stderr } = await spawnCollect(
    validator.command,
    [...validator.args, '-jsonOutput', ...flags, zip],
    { ...process.env, DEBUG: '1' },
  );
  // The log lines come first on stdout, then the JSON document, whose first line is `{`.
  const lines = stdout.split('\n');
  const jsonStart = lines.indexOf('{');
  let parsed: {
    id: string;
    version: string;
    'plugin-validator': Record<string, Omit<PluginValidatorFinding, 'analyzer'>[] | null>;
  };
  try {
    if (jsonStart < 0) throw new Error('no JSON');
    parsed = JSON.parse(lines.slice(jsonStart).join('\n')) as typeof parsed;
  } catch {
    throw new Error(
      `plugincheck2 gave no JSON (exit ${code})\nstdout: ${tail(stdout, 20)}\nstderr: ${tail(stderr, 20)}`,
    );
  }
  const log = lines.slice(0, jsonStart);
  const started = log.flatMap((l) => /^\[DEBUG\] Running analyzer (\S+)/.exec(l)?.[1] ?? []);
  const failure = log.flatMap((l) => /^\[DEBUG\] check failed: (.*)/.exec(l)?.[1] ?? [])[0];
  const findings = Object.entries(parsed['plugin-validator'] ?? {}).flatMap(
    ([analyzer, diagnostics]) => (diagnostics ?? []).map((d) => ({ analyzer, ...d })),
  );
  return { id: parsed.id, version: parsed.version, findings, started, failure };
}

/**
 * Runs `plugincheck2 -jsonOutput [flags] <zip>` and returns every finding. plugincheck2 stops at
 * the first analyzer whose run returns an error (offline: those that fetch from grafana.com or
 * GitHub), yet prints what it has and exits 0, leaving every analyzer after it unrun. So after
 * such a stop each analyzer is run alone with `-analyzer NAME`, and what still cannot run is
 * returned with the validator's reason.
 */
export async function runPluginValidator(
  zip: string,
  flags: string[] = ['-strict'],
): Promise<PluginValidatorReport> {
  const validator = await installPluginValidator();
  const full = await runOnce(validator, zip, flags);
  if (full.failure === undefined)
    return {
      id: full.id,
      version: full.version,
      findings: full.findings,
      ran: [...new Set(full.started)].sort(),
      couldNotRun: {},
    };
  if (!validator.analyzers)
    throw new Error(`plugincheck2 stopped (${full.failure}); the analyzers after it are unknown`);
  const ran = new Set<string>();
  const couldNotRun: Record<string, string> = {};
  const findings = [...full.findings];
  for (const name of validator.analyzers) {
    const single = await runOnce(validator, zip, [...flags, '-analyzer', name]);
    findings.push(...single.findings);
    if (single.failure === undefined) {
      for (const started of single.started) ran.add(started);
      continue;
    }
    // The runner prefixes a dependency's error with the dependency's name, one per level:
    // `metadatavalid: metadataschema: Get ...` is metadataschema failing under metadatavalid.
    const chain = [name];
    let reason = single.failure;
    for (let m = /^([\w-]+): (.*)$/.exec(reason); m; m = /^([\w-]+): (.*)$/.exec(reason)) {
      if (!single.started.includes(m[1]!)) break;
      chain.push(m[1]!);
      reason = m[2]!;
    }
    const failed = chain[chain.length - 1]!;
    couldNotRun[failed] = reason;
    for (const dependent of chain.slice(0, -1))
      couldNotRun[dependent] = `needs ${failed}, which could not run`;
  }
  for (const name of Object.keys(couldNotRun)) ran.delete(name);
  // Each analyzer run alone runs its dependencies again: keep each finding once.
  const seen = new Set<string>();
  const unique = findings.filter((f) => {
    const key = JSON.stringify([f.analyzer, f.Name, f.Title, f.Detail, f.Context]);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  return {
    id: full.id,
    version: full.version,
    findings: unique,
    ran: [...ran].sort(),
    couldNotRun,
  };
}

/** A finding as one readable line: `error [analyzer/rule] title: detail`. */
export function formatFinding(f: PluginValidatorFinding): string {
  const context = f.Context ? ` (${f.Context})` : '';
  return `${f.Severity} [${f.analyzer}/${f.Name}] ${f.Title}${context}${f.Detail ? `: ${f.Detail}` : ''}`;
}

function spawnCollect(
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ code: number; stdout: string; stderr: string; output: string }> {
  return new Promise((resolveRun, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', (error) =>
      reject(new Error(`cannot run ${command}: ${error.message}`, { cause: error })),
    );
    child.on('close', (code, signal) =>
      resolveRun({ code: code ?? (signal ? 128 : 1), stdout, stderr, output: stdout + stderr }),
    );
  });
}
