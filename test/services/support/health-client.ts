import * as grpc from '@grpc/grpc-js';
import {
  workflowProtos,
  type HealthCheckResponse,
} from '../../../src/services/workflow-service/workflow-protos.ts';

interface HealthStub extends grpc.Client {
  Check(
    request: { service: string },
    callback: (error: grpc.ServiceError | null, response?: HealthCheckResponse) => void,
  ): void;
  Watch(request: { service: string }): grpc.ClientReadableStream<HealthCheckResponse>;
}

/** A `grpc.health.v1.Health` client over the standard proto, as a load balancer's probe uses it. */
export function createHealthClient(address: string) {
  const Health = workflowProtos().grpc.health.v1.Health;
  const stub = new Health(address, grpc.credentials.createInsecure()) as unknown as HealthStub;
  return {
    check(service = ''): Promise<HealthCheckResponse> {
      return new Promise((resolve, reject) =>
        stub.Check({ service }, (error, response) => (error ? reject(error) : resolve(response!))),
      );
    },
    /** Opens a Watch stream; `statuses` fills as messages arrive, `ended` settles when the stream does. */
    watch(service = '') {
      const statuses: string[] = [];
      const call = stub.Watch({ service });
      call.on('data', (message: HealthCheckResponse) => statuses.push(message.status));
      const ended = new Promise<grpc.StatusObject>((resolve) => call.on('status', resolve));
      call.on('error', () => undefined);
      return { statuses, ended, cancel: () => call.cancel() };
    },
    close: () => stub.close(),
  };
}
