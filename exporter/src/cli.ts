/**
 * The command line of `twinops-exporter`, read without side effects: what to do, or why the
 * arguments make no sense (one line naming the argument; the CLI adds the usage and exits 2).
 */
import { parseArgs } from 'node:util';

export const usage = `usage: twinops-exporter [--config FILE] [--check]
       twinops-exporter --help | --version

  --config FILE   YAML configuration (see exporter/config.example.yaml); defaults apply without it
  --check         validate the configuration (file and TWINOPS_* environment) and exit
  -h, --help      this text
  -v, --version   the exporter's version

Logs are JSON lines on stdout (log.level, TWINOPS_LOG_LEVEL); exit status 2 means bad arguments or
configuration.`;

export type Command =
  | { kind: 'help' }
  | { kind: 'version' }
  | { kind: 'run'; config?: string; check: boolean }
  | { kind: 'error'; message: string };

const options = {
  config: { type: 'string' },
  check: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'v' },
} as const;

const isOption = (name: string): name is keyof typeof options => Object.hasOwn(options, name);

/** Reads the arguments (after the script). The first wrong argument is the error. */
export function parseCommandLine(args: readonly string[]): Command {
  // Not strict: node's own errors are several sentences; these name the argument in one line.
  const { tokens } = parseArgs({
    args: [...args],
    options,
    strict: false,
    allowPositionals: true,
    tokens: true,
  });
  const seen = new Set<keyof typeof options>();
  let config: string | undefined;
  for (const token of tokens) {
    if (token.kind === 'option-terminator') continue;
    if (token.kind === 'positional') {
      return { kind: 'error', message: `unexpected argument "${token.value}"` };
    }
    const { name, rawName, value, inlineValue } = token;
    if (!isOption(name)) return { kind: 'error', message: `unknown option ${rawName}` };
    if (options[name].type === 'boolean') {
      if (value !== undefined) return { kind: 'error', message: `${rawName} takes no value` };
    } else if (value === undefined || value === '' || (!inlineValue && value.startsWith('-'))) {
      return { kind: 'error', message: `${rawName} needs a file` };
    } else {
      config = value;
    }
    seen.add(name);
  }
  if (seen.has('help')) return { kind: 'help' };
  if (seen.has('version')) return { kind: 'version' };
  return { kind: 'run', ...(config === undefined ? {} : { config }), check: seen.has('check') };
}
