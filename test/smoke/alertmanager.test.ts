import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  readBody,
  serveHttp,
  startAlertmanager,
  waitFor,
  type AlertmanagerServer,
  type LoopbackServer,
} from '../bed/index.js';

interface WebhookPayload {
  receiver: string;
  alerts: { labels: Record<string, string> }[];
}

describe('Alertmanager (real) routing an alert to a receiver', () => {
  let webhook: LoopbackServer;
  let alertmanager: AlertmanagerServer;
  const delivered: WebhookPayload[] = [];

  beforeAll(async () => {
    webhook = await serveHttp((req, res) => {
      void readBody(req).then((body) => {
        delivered.push(JSON.parse(body) as WebhookPayload);
        res.end();
      });
    });
    alertmanager = await startAlertmanager({
      route: {
        receiver: 'ticket',
        group_by: ['alertname'],
        group_wait: '0s',
        routes: [{ receiver: 'page', matchers: ['severity="page"'] }],
      },
      receivers: [
        { name: 'page', webhook_configs: [{ url: `${webhook.url}/page` }] },
        { name: 'ticket', webhook_configs: [{ url: `${webhook.url}/ticket` }] },
      ],
    });
  });
  afterAll(async () => {
    await alertmanager?.stop();
    await webhook?.close();
  });

  it('routes a posted page-severity alert to the page receiver', async () => {
    const response = await fetch(`${alertmanager.url}/api/v2/alerts`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify([{ labels: { alertname: 'TwinSmoke', severity: 'page' } }]),
    });
    expect(response.status).toBe(200);
    const payload = await waitFor('a webhook delivery', () => delivered[0]);
    expect(payload.receiver).toBe('page');
    expect(payload.alerts[0]?.labels.alertname).toBe('TwinSmoke');
  });

  it('refuses an invalid config before starting', async () => {
    await expect(
      startAlertmanager({ route: { receiver: 'nobody' }, receivers: [] }),
    ).rejects.toThrow(/amtool check-config/);
  });
});
