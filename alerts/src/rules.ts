/** Prometheus rule files as data, and their YAML text (stable, so drift checks are byte-exact). */
import { stringify } from 'yaml';

export interface RecordingRule {
  record: string;
  expr: string;
  labels?: Record<string, string>;
}

export interface AlertingRule {
  alert: string;
  expr: string;
  for?: string;
  labels: Record<string, string>;
  annotations: {
    summary: string;
    description: string;
    runbook_url: string;
    dashboard_url: string;
  };
}

export type Rule = RecordingRule | AlertingRule;

export interface RuleGroup {
  name: string;
  interval?: string;
  rules: Rule[];
}

export interface RuleFile {
  groups: RuleGroup[];
}

export function renderRuleFile(file: RuleFile, header: string): string {
  const body = stringify(file, {
    lineWidth: 0,
    blockQuote: 'literal',
    aliasDuplicateObjects: false,
  });
  return `${header
    .trim()
    .split('\n')
    .map((line) => `# ${line}`.trimEnd())
    .join('\n')}\n${body}`;
}
