/**
 * Our SLO specs written as Sloth prometheus/v1 specs (error events = total − good), for the tests
 * that compare with Sloth and load its rules beside ours.
 */
import { stringify } from 'yaml';
import type { Slo } from './spec.js';

export function slothSpec(slos: Slo[]): string {
  return stringify({
    version: 'prometheus/v1',
    service: 'twinops',
    slos: slos.map((slo) => {
      const sum = (inner: string) => `sum by (${slo.by.join(', ')}) (${inner})`;
      return {
        name: slo.name,
        objective: Number(slo.objectivePercent),
        sli: {
          events: {
            error_query: `${sum(`rate(${slo.total}[{{.window}}])`)} - ${sum(`rate(${slo.good}[{{.window}}])`)}`,
            total_query: sum(`rate(${slo.total}[{{.window}}])`),
          },
        },
        alerting: {
          name: slo.alert,
          page_alert: { labels: { severity: 'page' } },
          ticket_alert: { labels: { severity: 'ticket' } },
        },
      };
    }),
  });
}
