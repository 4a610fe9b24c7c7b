import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';

interface RpcMethod {
  path: string;
  requestStream: boolean;
  responseStream: boolean;
  requestSerialize(value: object): Buffer;
  responseDeserialize(bytes: Buffer): unknown;
}

/**
 * Every RPC declared under `proto/`, found by `Method`, `Service/Method` or `package.Service/Method`
 * (a bare method name must be unique).
 */
export class ProtoCatalogue {
  private readonly methods = new Map<string, RpcMethod[]>();

  constructor(dir: string) {
    for (const file of protoFiles(dir)) {
      const definition = protoLoader.loadSync(relative(dir, file), {
        includeDirs: [dir],
        keepCase: false,
        longs: Number,
        defaults: true,
        oneofs: true,
      });
      for (const [serviceName, service] of Object.entries(definition)) {
        if (!service || typeof service !== 'object' || 'format' in service) continue;
        for (const [methodName, method] of Object.entries(service as Record<string, RpcMethod>)) {
          const shortService = serviceName.split('.').pop()!;
          for (const key of [methodName, `${shortService}/${methodName}`, `${serviceName}/${methodName}`]) {
            const list = this.methods.get(key) ?? [];
            if (!list.some((m) => m.path === method.path)) list.push(method);
            this.methods.set(key, list);
          }
        }
      }
    }
  }

  find(target: string): RpcMethod | undefined {
    const found = this.methods.get(target);
    return found?.length === 1 ? found[0] : undefined;
  }
}

function protoFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return protoFiles(path);
    return name.endsWith('.proto') ? [path] : [];
  });
}

/**
 * Calls an RPC with `authorization` metadata and an empty message (streams are opened and closed at
 * once) and answers the status name it ends with. The interceptor decides before the handler runs, so
 * `UNAUTHENTICATED` means the credential was refused; anything else means it got through.
 */
export async function callRpc(
  catalogue: ProtoCatalogue,
  address: string,
  target: string,
  authorization: string | undefined,
): Promise<string> {
  const method = catalogue.find(target)!;
  const client = new grpc.Client(address, grpc.credentials.createInsecure());
  const metadata = new grpc.Metadata();
  if (authorization) metadata.set('authorization', authorization);
  metadata.set('x-gitlab-global-user-id', 'flow-docs');
  const deadline = Date.now() + 5000;
  try {
    const code = await new Promise<grpc.status>((resolve) => {
      const serialize = (value: object) => method.requestSerialize(value);
      const deserialize = (bytes: Buffer) => method.responseDeserialize(bytes);
      if (!method.requestStream && !method.responseStream) {
        client.makeUnaryRequest(method.path, serialize, deserialize, {}, metadata, { deadline }, (error) =>
          resolve(error ? error.code : grpc.status.OK),
        );
        return;
      }
      const call = method.requestStream
        ? client.makeBidiStreamRequest(method.path, serialize, deserialize, metadata, { deadline })
        : client.makeServerStreamRequest(method.path, serialize, deserialize, {}, metadata, { deadline });
      call.on('data', () => call.cancel());
      call.on('error', () => undefined);
      call.on('status', (status: grpc.StatusObject) => resolve(status.code));
      if ('end' in call && method.requestStream) (call as grpc.ClientDuplexStream<object, unknown>).end();
    });
    return grpc.status[code] ?? String(code);
  } finally {
    client.close();
  }
}
