/**
 * A command's parameter JSON Schema → form fields, and the form's raw text → params with
 * validation messages. Pure: no React, no I/O. Only what a command catalog needs: a flat object
 * of numbers, integers, strings (enums become selects) and booleans; anything else falls back to
 * a JSON text field so no parameter is ever impossible to enter.
 */
import type { JsonSchema } from '../api/types';

export type FieldKind = 'number' | 'integer' | 'string' | 'select' | 'boolean' | 'json';

export interface FieldOption {
  label: string;
  /** The raw form value: the option's index in the schema's enum. */
  value: string;
}

export interface FormField {
  name: string;
  label: string;
  description?: string;
  kind: FieldKind;
  required: boolean;
  min?: number;
  max?: number;
  exclusiveMin?: number;
  exclusiveMax?: number;
  multipleOf?: number;
  /** For <input type=number>: multipleOf, 1 for integers, else "any". */
  step?: number | 'any';
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  /** Select: the choices in schema order; values are enum indices. */
  options?: FieldOption[];
  enumValues?: unknown[];
  default?: unknown;
}

/** What the inputs hold: text for text-like inputs, a boolean for switches. */
export type RawValues = Record<string, string | boolean | undefined>;

export interface FormResult {
  /** The params to send (only fields that have a value). */
  params: Record<string, unknown>;
  /** Per field name, one message a person can act on. */
  errors: Record<string, string>;
  valid: boolean;
}

function primaryType(schema: JsonSchema): string | undefined {
  if (Array.isArray(schema.type)) {
    return schema.type.find((t) => t !== 'null');
  }
  return schema.type;
}

/** "maxSpeed" → "Max speed", "set_point" → "Set point". */
export function humanize(name: string): string {
  const words = name
    .replace(/[_-]+/g, ' ')
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .trim()
    .toLowerCase();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

function fieldOf(name: string, schema: JsonSchema, required: boolean): FormField {
  const base = {
    name,
    label: schema.title ?? humanize(name),
    description: schema.description,
    required,
    default: schema.default,
  };
  if (Array.isArray(schema.enum) && schema.enum.length > 0) {
    return {
      ...base,
      kind: 'select',
      enumValues: schema.enum,
      options: schema.enum.map((value, index) => ({ label: String(value), value: String(index) })),
    };
  }
  if (schema.const !== undefined) {
    return {
      ...base,
      kind: 'select',
      enumValues: [schema.const],
      options: [{ label: String(schema.const), value: '0' }],
    };
  }
  const type = primaryType(schema);
  switch (type) {
    case 'number':
    case 'integer':
      return {
        ...base,
        kind: type,
        min: schema.minimum,
        max: schema.maximum,
        exclusiveMin: schema.exclusiveMinimum,
        exclusiveMax: schema.exclusiveMaximum,
        multipleOf: schema.multipleOf,
        step: schema.multipleOf ?? (type === 'integer' ? 1 : 'any'),
      };
    case 'string':
      return {
        ...base,
        kind: 'string',
        minLength: schema.minLength,
        maxLength: schema.maxLength,
        pattern: schema.pattern,
      };
    case 'boolean':
      return { ...base, kind: 'boolean' };
    default:
      return { ...base, kind: 'json' };
  }
}

/** The fields of an object schema, required ones first, each group in declaration order. */
export function schemaToFields(schema: JsonSchema): FormField[] {
  const required = new Set(schema.required ?? []);
  const fields = Object.entries(schema.properties ?? {}).map(([name, property]) =>
    fieldOf(name, property ?? {}, required.has(name))
  );
  return [...fields.filter((f) => f.required), ...fields.filter((f) => !f.required)];
}

/** The form's starting values: schema defaults where given, switches off, everything else empty. */
export function initialValues(fields: FormField[]): RawValues {
  const values: RawValues = {};
  for (const field of fields) {
    const d = field.default;
    if (field.kind === 'boolean') {
      values[field.name] = d === true;
    } else if (field.kind === 'select') {
      const index = d === undefined ? -1 : (field.enumValues ?? []).findIndex((v) => v === d);
      values[field.name] = index >= 0 ? String(index) : '';
    } else if (field.kind === 'json') {
      values[field.name] = d === undefined ? '' : JSON.stringify(d);
    } else {
      values[field.name] = d === undefined || d === null ? '' : String(d);
    }
  }
  return values;
}

/** A number as people write it: 0.1 + 0.2 shows as 0.3, not 0.30000000000000004. */
export function formatNumber(value: number): string {
  return String(Number(value.toPrecision(12)));
}

function isMultiple(value: number, of: number): boolean {
  const quotient = value / of;
  return Math.abs(quotient - Math.round(quotient)) < 1e-9;
}

function numberError(field: FormField, value: number): string | undefined {
  const label = field.label;
  if (field.kind === 'integer' && !Number.isInteger(value)) {
    return `${label} must be a whole number`;
  }
  if (field.min !== undefined && value < field.min) {
    return `${label} must be at least ${formatNumber(field.min)}`;
  }
  if (field.max !== undefined && value > field.max) {
    return `${label} must be at most ${formatNumber(field.max)}`;
  }
  if (field.exclusiveMin !== undefined && value <= field.exclusiveMin) {
    return `${label} must be greater than ${formatNumber(field.exclusiveMin)}`;
  }
  if (field.exclusiveMax !== undefined && value >= field.exclusiveMax) {
    return `${label} must be less than ${formatNumber(field.exclusiveMax)}`;
  }
  if (field.multipleOf !== undefined && field.multipleOf > 0 && !isMultiple(value, field.multipleOf)) {
    return `${label} must be a multiple of ${formatNumber(field.multipleOf)}`;
  }
  return undefined;
}

function stringError(field: FormField, value: string): string | undefined {
  const label = field.label;
  if (field.minLength !== undefined && value.length < field.minLength) {
    return `${label} must be at least ${field.minLength} characters`;
  }
  if (field.maxLength !== undefined && value.length > field.maxLength) {
    return `${label} must be at most ${field.maxLength} characters`;
  }
  if (field.pattern !== undefined) {
    let re: RegExp | undefined;
    try {
      re = new RegExp(field.pattern, 'u');
    } catch {
      re = undefined; // a pattern JS cannot read is left to the server's validator
    }
    if (re && !re.test(value)) {
      return `${label} must match the pattern ${field.pattern}`;
    }
  }
  return undefined;
}

/** Raw form values → params and messages. Empty optional fields are left out of the params. */
export function validateForm(fields: FormField[], raw: RawValues): FormResult {
  const params: Record<string, unknown> = {};
  const errors: Record<string, string> = {};
  for (const field of fields) {
    const value = raw[field.name];
    if (field.kind === 'boolean') {
      if (value === true || value === false) {
        params[field.name] = value;
      } else if (field.required) {
        params[field.name] = false;
      }
      continue;
    }
    const text = typeof value === 'string' ? value.trim() : '';
    if (text === '') {
      if (field.required) {
        errors[field.name] = `${field.label} is required`;
      }
      continue;
    }
    switch (field.kind) {
      case 'number':
      case 'integer': {
        const n = Number(text);
        if (!Number.isFinite(n)) {
          errors[field.name] = `${field.label} must be a number`;
          break;
        }
        const problem = numberError(field, n);
        if (problem) {
          errors[field.name] = problem;
        } else {
          params[field.name] = n;
        }
        break;
      }
      case 'select': {
        const index = Number(text);
        const values = field.enumValues ?? [];
        if (!Number.isInteger(index) || index < 0 || index >= values.length) {
          errors[field.name] = `${field.label} must be one of ${values.map(String).join(', ')}`;
        } else {
          params[field.name] = values[index];
        }
        break;
      }
      case 'string': {
        // Strings are sent as typed: leading or trailing spaces may matter to a device.
        const exact = typeof value === 'string' ? value : '';
        const problem = stringError(field, exact);
        if (problem) {
          errors[field.name] = problem;
        } else {
          params[field.name] = exact;
        }
        break;
      }
      case 'json': {
        try {
          params[field.name] = JSON.parse(text);
        } catch {
          errors[field.name] = `${field.label} must be valid JSON`;
        }
        break;
      }
    }
  }
  return { params, errors, valid: Object.keys(errors).length === 0 };
}

/** Params back to raw form values (e.g. a panel's preset params). Unknown values are skipped. */
export function valuesFromParams(fields: FormField[], params: Record<string, unknown>): RawValues {
  const values = initialValues(fields);
  for (const field of fields) {
    if (!(field.name in params)) {
      continue;
    }
    const v = params[field.name];
    if (field.kind === 'boolean') {
      values[field.name] = v === true;
    } else if (field.kind === 'select') {
      const index = (field.enumValues ?? []).findIndex((e) => e === v);
      if (index >= 0) {
        values[field.name] = String(index);
      }
    } else if (field.kind === 'json') {
      values[field.name] = JSON.stringify(v);
    } else if (v !== undefined && v !== null) {
      values[field.name] = String(v);
    }
  }
  return values;
}
