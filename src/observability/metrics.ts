import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** The instance's Prometheus metrics, on a registry of its own so several servers can share a process. */
export class Metrics {
  readonly registry = new Registry();

  readonly httpRequests = new Counter({
    name: 'tessera_http_requests_total',
    help: 'HTTP requests by method, route and status',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [this.registry],
  });

  readonly httpDuration = new Histogram({
    name: 'tessera_http_request_duration_seconds',
    help: 'HTTP request latency by method and route',
    labelNames: ['method', 'route'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });

  readonly tokensIssued = new Counter({
    name: 'tessera_tokens_issued_total',
    help: 'Credentials issued, by type',
    labelNames: ['type'] as const,
    registers: [this.registry],
  });

  readonly tokensRejected = new Counter({
    name: 'tessera_tokens_rejected_total',
    help: 'Credentials presented and refused, by type',
    labelNames: ['type'] as const,
    registers: [this.registry],
  });

  constructor(options: { defaultMetrics?: boolean } = {}) {
    if (options.defaultMetrics) collectDefaultMetrics({ register: this.registry });
  }
}
