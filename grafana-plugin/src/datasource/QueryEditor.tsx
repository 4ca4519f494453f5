import React from 'react';
import type { QueryEditorProps } from '@grafana/data';
import { Field, Input, RadioButtonGroup, Stack } from '@grafana/ui';
import type { TwinDataSource } from './datasource';
import { defaultQuery, type TwinDataSourceOptions, type TwinQuery, type TwinQueryType } from './types';

type Props = QueryEditorProps<TwinDataSource, TwinQuery, TwinDataSourceOptions>;

const types: Array<{ label: string; value: TwinQueryType; description: string }> = [
  { label: 'Assets', value: 'assets', description: 'The fleet, filtered' },
  { label: 'State', value: 'state', description: 'One asset: physical vs twin per property' },
  { label: 'History', value: 'history', description: 'A property’s recent values, physical and twin' },
  { label: 'Commands', value: 'commands', description: 'Commands and their outcomes' },
];

const statuses = [
  { label: 'All', value: 'all' as const },
  { label: 'Stale', value: 'stale' as const },
  { label: 'Diverged', value: 'diverged' as const },
  { label: 'Healthy', value: 'healthy' as const },
];

/** Text fields run the query when they lose focus; choices run it at once. Variables ($x) work. */
export function QueryEditor({ query, onChange, onRunQuery }: Props) {
  const q = { ...defaultQuery, ...query };
  const id = (name: string) => `twin-${q.refId}-${name}`;
  const set =
    <K extends keyof TwinQuery>(key: K, run = false) =>
    (value: TwinQuery[K]) => {
      onChange({ ...q, [key]: value });
      if (run) {
        onRunQuery();
      }
    };
  const text = (key: 'assetClass' | 'site' | 'assetId' | 'property', label: string, placeholder: string) => (
    <Field label={label}>
      <Input
        id={id(key)}
        value={q[key] ?? ''}
        placeholder={placeholder}
        onChange={(e) => set(key)(e.currentTarget.value)}
        onBlur={onRunQuery}
      />
    </Field>
  );
  return (
    <Stack direction="column" gap={1}>
      <Field label="Query">
        <RadioButtonGroup options={types} value={q.queryType} onChange={set('queryType', true)} />
      </Field>
      <Stack wrap="wrap" gap={2}>
        {q.queryType === 'assets' && (
          <>
            {text('assetClass', 'Asset class', 'any')}
            {text('site', 'Site', 'any')}
            <Field label="Status">
              <RadioButtonGroup options={statuses} value={q.status} onChange={set('status', true)} />
            </Field>
          </>
        )}
        {(q.queryType === 'state' || q.queryType === 'history' || q.queryType === 'commands') &&
          text('assetId', q.queryType === 'commands' ? 'Asset id (optional)' : 'Asset id', '$asset')}
        {q.queryType === 'history' && text('property', 'Property', 'speed')}
        {(q.queryType === 'assets' || q.queryType === 'commands') && (
          <Field label="Limit" description="At most 500">
            <Input
              id={id('limit')}
              type="number"
              min={1}
              max={500}
              value={q.limit ?? 100}
              onChange={(e) => set('limit')(Number(e.currentTarget.value))}
              onBlur={onRunQuery}
            />
          </Field>
        )}
      </Stack>
    </Stack>
  );
}
