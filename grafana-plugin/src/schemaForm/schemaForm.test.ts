import { formatNumber, humanize, initialValues, schemaToFields, validateForm, valuesFromParams } from './schemaForm';
import type { JsonSchema } from '../api/types';

const schema: JsonSchema = {
  type: 'object',
  required: ['mps', 'mode'],
  properties: {
    rampSeconds: { type: 'integer', minimum: 1, maximum: 60, default: 10, description: 'Ramp duration' },
    mps: { type: 'number', minimum: 0, maximum: 3, multipleOf: 0.1 },
    mode: { type: 'string', enum: ['soft', 'hard'] },
    level: { type: 'integer', enum: [1, 2, 3] },
    note: { type: 'string', minLength: 2, maxLength: 5, pattern: '^[a-z]+$' },
    dryFirst: { type: 'boolean', default: true },
    threshold: { type: ['number', 'null'], exclusiveMinimum: 0, exclusiveMaximum: 1 },
    profile: { type: 'object' },
  },
};

describe('schemaToFields', () => {
  const fields = schemaToFields(schema);
  const byName = Object.fromEntries(fields.map((f) => [f.name, f]));

  it('puts required fields first, each group in declaration order', () => {
    expect(fields.map((f) => f.name)).toEqual([
      'mps',
      'mode',
      'rampSeconds',
      'level',
      'note',
      'dryFirst',
      'threshold',
      'profile',
    ]);
    expect(fields.filter((f) => f.required).map((f) => f.name)).toEqual(['mps', 'mode']);
  });

  it('maps types to inputs with their bounds and steps', () => {
    expect(byName.mps).toMatchObject({ kind: 'number', min: 0, max: 3, step: 0.1, label: 'Mps' });
    expect(byName.rampSeconds).toMatchObject({
      kind: 'integer',
      min: 1,
      max: 60,
      step: 1,
      label: 'Ramp seconds',
      description: 'Ramp duration',
    });
    expect(byName.threshold).toMatchObject({ kind: 'number', exclusiveMin: 0, exclusiveMax: 1, step: 'any' });
    expect(byName.note).toMatchObject({ kind: 'string', minLength: 2, maxLength: 5, pattern: '^[a-z]+$' });
    expect(byName.dryFirst.kind).toBe('boolean');
    expect(byName.profile.kind).toBe('json');
  });

  it('turns enums (of any type) into selects', () => {
    expect(byName.mode).toMatchObject({
      kind: 'select',
      options: [
        { label: 'soft', value: '0' },
        { label: 'hard', value: '1' },
      ],
    });
    expect(byName.level.kind).toBe('select');
  });

  it('starts from the schema defaults', () => {
    expect(initialValues(fields)).toEqual({
      mps: '',
      mode: '',
      rampSeconds: '10',
      level: '',
      note: '',
      dryFirst: true,
      threshold: '',
      profile: '',
    });
  });
});

describe('validateForm', () => {
  const fields = schemaToFields(schema);
  const ok = { ...initialValues(fields), mps: '1.5', mode: '1' };

  it('turns valid raw values into typed params, leaving empty optional fields out', () => {
    const result = validateForm(fields, { ...ok, level: '2' });
    expect(result.valid).toBe(true);
    expect(result.errors).toEqual({});
    expect(result.params).toEqual({ mps: 1.5, mode: 'hard', rampSeconds: 10, level: 3, dryFirst: true });
  });

  it('says what is wrong with each field', () => {
    const cases: Array<[Record<string, string>, string, string]> = [
      [{ mps: '' }, 'mps', 'Mps is required'],
      [{ mode: '' }, 'mode', 'Mode is required'],
      [{ mps: 'fast' }, 'mps', 'Mps must be a number'],
      [{ mps: '3.5' }, 'mps', 'Mps must be at most 3'],
      [{ mps: '-0.1' }, 'mps', 'Mps must be at least 0'],
      [{ mps: '0.15' }, 'mps', 'Mps must be a multiple of 0.1'],
      [{ rampSeconds: '2.5' }, 'rampSeconds', 'Ramp seconds must be a whole number'],
      [{ threshold: '0' }, 'threshold', 'Threshold must be greater than 0'],
      [{ threshold: '1' }, 'threshold', 'Threshold must be less than 1'],
      [{ note: 'a' }, 'note', 'Note must be at least 2 characters'],
      [{ note: 'abcdef' }, 'note', 'Note must be at most 5 characters'],
      [{ note: 'ab1' }, 'note', 'Note must match the pattern ^[a-z]+$'],
      [{ profile: '{oops' }, 'profile', 'Profile must be valid JSON'],
      [{ mode: '7' }, 'mode', 'Mode must be one of soft, hard'],
    ];
    for (const [change, field, message] of cases) {
      const result = validateForm(fields, { ...ok, ...change });
      expect(result.valid).toBe(false);
      expect(result.errors).toEqual({ [field]: message });
    }
  });

  it('accepts multiples despite float noise (0.3 / 0.1)', () => {
    expect(validateForm(fields, { ...ok, mps: '0.3' }).valid).toBe(true);
  });

  it('parses JSON fields', () => {
    expect(validateForm(fields, { ...ok, profile: '{"a":[1,2]}' }).params.profile).toEqual({ a: [1, 2] });
  });

  it('sends a required boolean as false when untouched', () => {
    const f = schemaToFields({ type: 'object', required: ['on'], properties: { on: { type: 'boolean' } } });
    expect(validateForm(f, {}).params).toEqual({ on: false });
  });
});

describe('valuesFromParams', () => {
  it('round-trips params through the form', () => {
    const fields = schemaToFields(schema);
    const params = { mps: 2.2, mode: 'soft', level: 1, dryFirst: false, profile: { x: 1 } };
    const raw = valuesFromParams(fields, params);
    expect(raw).toMatchObject({ mps: '2.2', mode: '0', level: '0', dryFirst: false, profile: '{"x":1}' });
    expect(validateForm(fields, raw).params).toEqual({ ...params, rampSeconds: 10 });
  });
});

describe('helpers', () => {
  it('humanizes names and prints numbers without float noise', () => {
    expect(humanize('maxSpeed')).toBe('Max speed');
    expect(humanize('set_point')).toBe('Set point');
    expect(formatNumber(0.1 + 0.2)).toBe('0.3');
  });
});
