import { describe, expect, it } from 'vitest';
import { compileCatalog, compileParams } from './params.js';
import { testCommandsConfig } from '../../../test/commands/guards/fixtures.js';

const validate = compileParams({
  type: 'object',
  properties: {
    value: { type: 'number', minimum: 0, maximum: 1500 },
    ramp: { type: 'object', properties: { seconds: { type: 'integer' } } },
  },
  required: ['value'],
  additionalProperties: false,
});

describe('params validation', () => {
  it('accepts valid params', () => {
    expect(validate({ value: 1500, ramp: { seconds: 3 } })).toEqual([]);
  });

  it('names the param in each error, and reports them all', () => {
    expect(validate({ value: 1501, ramp: { seconds: 1.5 }, extra: true }).sort()).toEqual([
      'params.extra: is not a known parameter',
      'params.ramp.seconds: must be integer',
      'params.value: must be <= 1500',
    ]);
    expect(validate({})).toEqual(['params.value: is required']);
    expect(validate(null)).toEqual(['params: must be object']);
  });

  it('caps the number of problems reported', () => {
    const many = Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`p${i}`, i]));
    const problems = validate({ value: 1, ...many });
    expect(problems).toHaveLength(21);
    expect(problems.at(-1)).toBe('and 30 more');
  });

  it('rejects a misspelt keyword when the catalog is loaded, naming the command', () => {
    expect(() =>
      compileCatalog({
        pump: {
          setSpeed: {
            ...testCommandsConfig.catalog.pump!.setSpeed!,
            params: { type: 'object', properties: { value: { type: 'number', maximim: 10 } } },
          },
        },
      }),
    ).toThrow(/pump\.setSpeed.*maximim/);
  });

  it("looks up each class's commands, and nothing else", () => {
    const validators = compileCatalog(testCommandsConfig.catalog);
    expect(validators('pump', 'setSpeed')?.({ value: 10 })).toEqual([]);
    expect(validators('pump', 'toString')).toBeUndefined();
    expect(validators('valve', 'setSpeed')).toBeUndefined();
  });
});
