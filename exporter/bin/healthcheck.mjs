#!/usr/bin/env node
// The image's HEALTHCHECK (the runtime image has no shell or curl): exits 0 when /readyz answers
// 200. TWINOPS_HEALTHCHECK_URL names another address when server.metricsPort is not 9464.
const url = process.env.TWINOPS_HEALTHCHECK_URL ?? 'http://127.0.0.1:9464/readyz';
try {
  const response = await fetch(url, { signal: AbortSignal.timeout(2_000) });
  process.exit(response.ok ? 0 : 1);
} catch {
  process.exit(1);
}
