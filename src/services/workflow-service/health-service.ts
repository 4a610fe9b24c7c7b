import { status, type sendUnaryData, type ServerUnaryCall, type ServerWritableStream } from '@grpc/grpc-js';
import type { ReadinessState, RoleReadiness } from '../../runtime/role-readiness.ts';
import type { HealthCheckRequest, HealthCheckResponse, ServingStatus } from './workflow-protos.ts';

/** The standard `grpc.health.v1.Health` service, answering from the process's readiness. */
export interface HealthService {
  handlers: {
    Check(
      call: ServerUnaryCall<HealthCheckRequest, HealthCheckResponse>,
      callback: sendUnaryData<HealthCheckResponse>,
    ): void;
    Watch(call: ServerWritableStream<HealthCheckRequest, HealthCheckResponse>): void;
  };
  /** Ends every open Watch stream, so that the server's graceful shutdown need not wait for them. */
  close(): void;
}

const servingStatus = (state: ReadinessState): ServingStatus =>
  state === 'ready' ? 'SERVING' : 'NOT_SERVING';

/**
 * `Check` and `Watch` for the server as a whole (`service: ""`) and for each of `services` by its
 * full name: SERVING while `readiness` is ready, NOT_SERVING while starting and while draining. As the
 * protocol has it, `Check` of an unknown service fails with NOT_FOUND and `Watch` of one streams
 * SERVICE_UNKNOWN and stays open.
 */
export function healthService(readiness: RoleReadiness, services: readonly string[]): HealthService {
  const known = new Set(['', ...services]);
  const watches = new Set<ServerWritableStream<HealthCheckRequest, HealthCheckResponse>>();
  return {
    handlers: {
      Check(call, callback) {
        if (!known.has(call.request.service)) {
          callback({ code: status.NOT_FOUND, details: 'unknown service' });
          return;
        }
        callback(null, { status: servingStatus(readiness.state) });
      },
      Watch(call) {
        watches.add(call);
        let unsubscribe = () => {};
        const forget = () => {
          unsubscribe();
          watches.delete(call);
        };
        call.once('cancelled', forget);
        call.once('finish', forget);
        if (!known.has(call.request.service)) {
          call.write({ status: 'SERVICE_UNKNOWN' });
          return;
        }
        let last = servingStatus(readiness.state);
        call.write({ status: last });
        unsubscribe = readiness.onChange((state) => {
          // The protocol sends a message only when the status changes.
          if (servingStatus(state) === last) return;
          last = servingStatus(state);
          call.write({ status: last });
        });
      },
    },
    close() {
      for (const call of watches) call.end();
      watches.clear();
    },
  };
}
