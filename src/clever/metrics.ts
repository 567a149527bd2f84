// Prometheus metrics of the Clever client. Labels are route templates and methods only: bounded cardinality, and
// never an id (ids are customer data) nor a URL.
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

export interface CleverMetrics {
  requests: Counter<'route' | 'method' | 'code' | 'outcome'>;
  duration: Histogram<'route' | 'method'>;
  retries: Counter<'route' | 'method'>;
  rateLimited: Counter;
  inFlight: Gauge;
  /** Time from asking the client-side limiter for a call to being let through (tokens and slots), by priority. */
  waitDuration: Histogram<'priority'>;
  /** Calls waiting in the client-side limiter, by priority. */
  waiting: Gauge<'priority'>;
}

/**
 * Registers the metrics on `registry`, or reuses those already there: several clients (one per set of credentials)
 * legitimately share one registry, and prom-client refuses to register a name twice.
 */
export function createCleverMetrics(registry: Registry): CleverMetrics {
  const reuse = <T>(name: string, make: () => T): T => (registry.getSingleMetric(name) as T | undefined) ?? make();
  return {
    requests: reuse(
      'clever_api_requests_total',
      () =>
        new Counter({
          name: 'clever_api_requests_total',
          help: 'HTTP exchanges with the Clever Cloud API, one per attempt (code = HTTP status or "error")',
          labelNames: ['route', 'method', 'code', 'outcome'] as const,
          registers: [registry],
        }),
    ),
    duration: reuse(
      'clever_api_request_duration_seconds',
      () =>
        new Histogram({
          name: 'clever_api_request_duration_seconds',
          help: 'Duration of one HTTP exchange with the Clever Cloud API (one attempt)',
          labelNames: ['route', 'method'] as const,
          buckets: [0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
          registers: [registry],
        }),
    ),
    retries: reuse(
      'clever_api_retries_total',
      () =>
        new Counter({
          name: 'clever_api_retries_total',
          help: 'Retries scheduled after a retryable failure',
          labelNames: ['route', 'method'] as const,
          registers: [registry],
        }),
    ),
    rateLimited: reuse(
      'clever_api_rate_limited_total',
      () =>
        new Counter({
          name: 'clever_api_rate_limited_total',
          help: 'Requests delayed by the client-side token bucket before being sent',
          registers: [registry],
        }),
    ),
    inFlight: reuse(
      'clever_api_in_flight',
      () =>
        new Gauge({
          name: 'clever_api_in_flight',
          help: 'Requests to the Clever Cloud API currently in flight',
          registers: [registry],
        }),
    ),
    waitDuration: reuse(
      'clever_api_wait_seconds',
      () =>
        new Histogram({
          name: 'clever_api_wait_seconds',
          help: 'Time a call waited in the client-side limiter (rate and in-flight cap) before being sent, by priority',
          labelNames: ['priority'] as const,
          buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
          registers: [registry],
        }),
    ),
    waiting: reuse(
      'clever_api_waiting',
      () =>
        new Gauge({
          name: 'clever_api_waiting',
          help: 'Calls waiting in the client-side limiter, by priority',
          labelNames: ['priority'] as const,
          registers: [registry],
        }),
    ),
  };
}
