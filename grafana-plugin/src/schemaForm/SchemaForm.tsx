import React from 'react';
import { Field, Input, Select, Switch, TextArea } from '@grafana/ui';
import { formatNumber, type FormField, type RawValues } from './schemaForm';

export interface SchemaFormProps {
  fields: FormField[];
  values: RawValues;
  onChange: (values: RawValues) => void;
  /** Messages by field name; shown only when showErrors (after the user touched or submitted). */
  errors?: Record<string, string>;
  showErrors?: boolean;
  /** Keeps ids unique when several forms share a page. */
  idPrefix?: string;
  disabled?: boolean;
}

function rangeHint(field: FormField): string | undefined {
  const parts: string[] = [];
  if (field.min !== undefined) {
    parts.push(`≥ ${formatNumber(field.min)}`);
  }
  if (field.exclusiveMin !== undefined) {
    parts.push(`> ${formatNumber(field.exclusiveMin)}`);
  }
  if (field.max !== undefined) {
    parts.push(`≤ ${formatNumber(field.max)}`);
  }
  if (field.exclusiveMax !== undefined) {
    parts.push(`< ${formatNumber(field.exclusiveMax)}`);
  }
  if (field.multipleOf !== undefined) {
    parts.push(`step ${formatNumber(field.multipleOf)}`);
  }
  if (field.kind === 'integer') {
    parts.push('whole number');
  }
  return parts.length > 0 ? parts.join(', ') : undefined;
}

function describe(field: FormField): string | undefined {
  const hint = rangeHint(field);
  if (field.description && hint) {
    return `${field.description} (${hint})`;
  }
  return field.description ?? hint;
}

/**
 * The inputs for a list of form fields, in order: every input has a visible label tied to it,
 * tab order follows the fields, and validation messages sit under the input they are about.
 */
export function SchemaForm({
  fields,
  values,
  onChange,
  errors = {},
  showErrors = false,
  idPrefix = 'param',
  disabled,
}: SchemaFormProps) {
  const set = (name: string, value: string | boolean | undefined) => onChange({ ...values, [name]: value });
  return (
    <>
      {fields.map((field) => {
        const id = `${idPrefix}-${field.name}`;
        const error = showErrors ? errors[field.name] : undefined;
        const value = values[field.name];
        let input: React.ReactNode;
        switch (field.kind) {
          case 'boolean':
            input = (
              <Switch
                id={id}
                value={value === true}
                disabled={disabled}
                onChange={(event) => set(field.name, event.currentTarget.checked)}
              />
            );
            break;
          case 'select':
            input = (
              <Select
                inputId={id}
                options={field.options}
                value={typeof value === 'string' && value !== '' ? value : null}
                disabled={disabled}
                isClearable={!field.required}
                // Keyboard users stay on the select after choosing, to tab on from there.
                blurInputOnSelect={false}
                placeholder="Choose…"
                onChange={(option) => set(field.name, option?.value ?? '')}
                aria-invalid={error !== undefined}
              />
            );
            break;
          case 'json':
            input = (
              <TextArea
                id={id}
                value={typeof value === 'string' ? value : ''}
                disabled={disabled}
                rows={3}
                onChange={(event) => set(field.name, event.currentTarget.value)}
                aria-invalid={error !== undefined}
              />
            );
            break;
          default:
            input = (
              <Input
                id={id}
                type={field.kind === 'string' ? 'text' : 'number'}
                inputMode={field.kind === 'integer' ? 'numeric' : field.kind === 'number' ? 'decimal' : undefined}
                min={field.min}
                max={field.max}
                step={field.step}
                maxLength={field.maxLength}
                value={typeof value === 'string' ? value : ''}
                disabled={disabled}
                required={field.required}
                aria-invalid={error !== undefined}
                onChange={(event) => set(field.name, event.currentTarget.value)}
              />
            );
        }
        return (
          <Field
            key={field.name}
            label={field.label}
            description={describe(field)}
            required={field.required}
            invalid={error !== undefined}
            error={error}
            htmlFor={id}
          >
            {input as React.ReactElement}
          </Field>
        );
      })}
    </>
  );
}
