import { Counter, Gauge, type Registry } from 'prom-client';

/** Cloud Connector's Prometheus metrics on the instance's registry. */
export interface CloudConnectorMetrics {
  syncs: Counter<'result'>;
  syncFailures: Gauge;
  instanceTokenExpiry: Gauge;
  userTokensIssued: Counter<'endpoint'>;
}

/** Registers the metrics once per registry (the CLI and the server may build the connector more than once). */
export function cloudConnectorMetrics(registry: Registry): CloudConnectorMetrics {
  const existing = <T>(name: string) => registry.getSingleMetric(name) as T | undefined;
  return {
    syncs:
      existing<Counter<'result'>>('tessera_cloud_connector_syncs_total') ??
      new Counter({
        name: 'tessera_cloud_connector_syncs_total',
        help: 'Instance token syncs, by result (success, failure)',
        labelNames: ['result'] as const,
        registers: [registry],
      }),
    syncFailures:
      existing<Gauge>('tessera_cloud_connector_sync_consecutive_failures') ??
      new Gauge({
        name: 'tessera_cloud_connector_sync_consecutive_failures',
        help: 'Failed instance token syncs since the last success (0 when healthy)',
        registers: [registry],
      }),
    instanceTokenExpiry:
      existing<Gauge>('tessera_cloud_connector_instance_token_expiry_seconds') ??
      new Gauge({
        name: 'tessera_cloud_connector_instance_token_expiry_seconds',
        help: 'Expiry of the stored instance token, in epoch seconds (0 when there is none)',
        registers: [registry],
      }),
    userTokensIssued:
      existing<Counter<'endpoint'>>('tessera_cloud_connector_user_tokens_total') ??
      new Counter({
        name: 'tessera_cloud_connector_user_tokens_total',
        help: 'User AI tokens issued, by endpoint (direct_access, tokens)',
        labelNames: ['endpoint'] as const,
        registers: [registry],
      }),
  };
}
