import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createVerifier, TokenAuthority } from '@tessera/sdk';
import { cloudConnectorClaims, createGrpcAuthInterceptor } from '@tessera/sdk/grpc';
import { rememberSecret } from '../../../test/support/secrets.ts';

const AUDIENCE = 'gitlab-duo-workflow-service';
const json = {
  serialize: (value: unknown) => Buffer.from(JSON.stringify(value)),
  deserialize: (buffer: Buffer) => JSON.parse(buffer.toString()) as unknown,
};
const method = (path: string, streaming: boolean) => ({
  path,
  requestStream: streaming,
  responseStream: streaming,
  requestSerialize: json.serialize,
  requestDeserialize: json.deserialize,
  responseSerialize: json.serialize,
  responseDeserialize: json.deserialize,
});
/** A service without a .proto: JSON messages keep the test about authentication only. */
const service = {
  whoAmI: method('/test.Probe/WhoAmI', false),
  echo: method('/test.Probe/Echo', true),
  open: method('/test.Probe/Open', false),
  secret: method('/test.Probe/Secret', false),
} satisfies grpc.ServiceDefinition;

type UnaryClientMethod = (
  request: unknown,
  metadata: grpc.Metadata,
  callback: (error: grpc.ServiceError | null, value?: unknown) => void,
) => void;
interface ProbeClient extends grpc.Client {
  whoAmI: UnaryClientMethod;
  open: UnaryClientMethod;
  secret: UnaryClientMethod;
  echo(metadata: grpc.Metadata): grpc.ClientDuplexStream<unknown, unknown>;
}

describe('the gRPC interceptor', () => {
  let server: grpc.Server;
  let client: ProbeClient;
  let authority: TokenAuthority;
  const bearer = async (scopes: string[]) => {
    const metadata = new grpc.Metadata();
    const { token } = await authority.sign({
      subject: 'instance-1',
      audience: AUDIENCE,
      scopes,
      extraClaims: { gitlab_realm: 'saas' },
    });
    metadata.set('authorization', `Bearer ${rememberSecret(token)}`);
    return metadata;
  };
  const unary = (name: 'whoAmI' | 'open' | 'secret', metadata: grpc.Metadata) =>
    new Promise<unknown>((resolve, reject) =>
      client[name]({}, metadata, (error, value) => (error ? reject(error) : resolve(value))),
    );

  beforeAll(async () => {
    authority = await TokenAuthority.create({ issuer: 'https://license.example', algorithm: 'ES256' });
    const verifier = createVerifier({ issuers: [authority.asIssuer()], audience: AUDIENCE });
    server = new grpc.Server({
      interceptors: [
        createGrpcAuthInterceptor({
          verifier,
          methods: {
            '/test.Probe/WhoAmI': { scopes: ['duo_agent_platform', 'duo_workflow_generate_token'] },
            '/test.Probe/Echo': { scopes: [] },
            '/test.Probe/Open': 'public',
          },
        }),
      ],
    });
    server.addService(service, {
      whoAmI: (call: grpc.ServerUnaryCall<unknown, unknown>, callback: grpc.sendUnaryData<unknown>) =>
        callback(null, { sub: cloudConnectorClaims(call).sub }),
      echo: (call: grpc.ServerDuplexStream<unknown, unknown>) => {
        call.on('data', (message) => call.write({ echo: message, sub: cloudConnectorClaims(call).sub }));
        call.on('end', () => call.end());
      },
      open: (_call: grpc.ServerUnaryCall<unknown, unknown>, callback: grpc.sendUnaryData<unknown>) =>
        callback(null, { open: true }),
      secret: (_call: grpc.ServerUnaryCall<unknown, unknown>, callback: grpc.sendUnaryData<unknown>) =>
        callback(null, { leaked: true }),
    });
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, bound) =>
        error ? reject(error) : resolve(bound),
      ),
    );
    const Client = grpc.makeGenericClientConstructor(service, 'Probe');
    client = new Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure()) as unknown as ProbeClient;
  });
  afterAll(() => {
    client.close();
    server.forceShutdown();
  });

  it('passes a call whose token has any one of the method scopes, claims reaching the handler', async () => {
    await expect(unary('whoAmI', await bearer(['duo_workflow_generate_token']))).resolves.toEqual({
      sub: 'instance-1',
    });
  });

  it('answers UNAUTHENTICATED without a token or with a bad one', async () => {
    await expect(unary('whoAmI', new grpc.Metadata())).rejects.toMatchObject({
      code: grpc.status.UNAUTHENTICATED,
    });
    const garbage = new grpc.Metadata();
    garbage.set('authorization', 'Bearer garbage');
    await expect(unary('whoAmI', garbage)).rejects.toMatchObject({
      code: grpc.status.UNAUTHENTICATED,
      details: 'the token is malformed',
    });
  });

  it('answers PERMISSION_DENIED for a missing scope and for a method with no policy', async () => {
    await expect(unary('whoAmI', await bearer(['duo_chat']))).rejects.toMatchObject({
      code: grpc.status.PERMISSION_DENIED,
      details: 'the token needs one of the scopes duo_agent_platform, duo_workflow_generate_token',
    });
    await expect(unary('secret', await bearer(['duo_agent_platform']))).rejects.toMatchObject({
      code: grpc.status.PERMISSION_DENIED,
    });
  });

  it('checks x-gitlab-realm metadata against the token', async () => {
    const metadata = await bearer(['duo_agent_platform']);
    metadata.set('x-gitlab-realm', 'self-managed');
    await expect(unary('whoAmI', metadata)).rejects.toMatchObject({ code: grpc.status.UNAUTHENTICATED });
  });

  it('lets public methods through with no token', async () => {
    await expect(unary('open', new grpc.Metadata())).resolves.toEqual({ open: true });
  });

  it('authenticates a bidirectional stream before its first message reaches the handler', async () => {
    const stream = client.echo(await bearer([]));
    const replies: unknown[] = [];
    stream.on('data', (reply) => replies.push(reply));
    stream.write({ n: 1 });
    stream.write({ n: 2 });
    stream.end();
    await new Promise((resolve, reject) => stream.on('end', resolve).on('error', reject));
    expect(replies).toEqual([
      { echo: { n: 1 }, sub: 'instance-1' },
      { echo: { n: 2 }, sub: 'instance-1' },
    ]);
    const refused = client.echo(new grpc.Metadata());
    refused.write({ n: 1 });
    refused.on('data', () => undefined);
    const error = await new Promise((resolve) => refused.on('error', resolve));
    expect(error).toMatchObject({ code: grpc.status.UNAUTHENTICATED });
  });
});
