import { describe, expect, it } from 'vitest';
import { parseCommandLine } from './cli.js';

describe('parseCommandLine', () => {
  it('runs with a config file, checks it, or the defaults', () => {
    expect(parseCommandLine([])).toEqual({ kind: 'run', check: false });
    expect(parseCommandLine(['--config', 'a.yaml'])).toEqual({
      kind: 'run',
      config: 'a.yaml',
      check: false,
    });
    expect(parseCommandLine(['--check', '--config=a.yaml'])).toEqual({
      kind: 'run',
      config: 'a.yaml',
      check: true,
    });
  });

  it('answers help and version first, in short or long form', () => {
    expect(parseCommandLine(['--help'])).toEqual({ kind: 'help' });
    expect(parseCommandLine(['-h', '--config', 'a.yaml'])).toEqual({ kind: 'help' });
    expect(parseCommandLine(['--version'])).toEqual({ kind: 'version' });
    expect(parseCommandLine(['-v'])).toEqual({ kind: 'version' });
    expect(parseCommandLine(['-vh'])).toEqual({ kind: 'help' });
  });

  it.each([
    [['--verbose'], 'unknown option --verbose'],
    [['-x'], 'unknown option -x'],
    [['--help', '--nope=1'], 'unknown option --nope'],
    [['config.yaml'], 'unexpected argument "config.yaml"'],
    [['--config', 'a.yaml', 'b.yaml'], 'unexpected argument "b.yaml"'],
    [['--', '--check'], 'unexpected argument "--check"'],
    [['--config'], '--config needs a file'],
    [['--config='], '--config needs a file'],
    [['--config', '--check'], '--config needs a file'],
    [['--check=yes'], '--check takes no value'],
  ])('%j: %s', (args, message) => {
    expect(parseCommandLine(args)).toEqual({ kind: 'error', message });
  });

  it('takes a file whose name begins with a dash when it is given inline', () => {
    expect(parseCommandLine(['--config=-odd.yaml'])).toMatchObject({ config: '-odd.yaml' });
  });
});
