import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, openSync, rmSync, writeFileSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { gunzipSync } from 'node:zlib';
import { freePort } from '../support/instance.ts';
import { testLogDir } from '../support/secrets.ts';

/*
 * The real peers of the registry flow: Debian's `docker-registry` (CNCF distribution 2.8), started
 * with a config of its own on a loopback port and token auth pointing at Tessera, and `skopeo`.
 */

export interface RunningRegistry {
  /** `127.0.0.1:<port>`, as image references spell it. */
  host: string;
  stop(): Promise<void>;
}

/** Starts `docker-registry serve` trusting `bundle`, with storage in a temp dir; resolves once it answers. */
export async function startRegistry(options: {
  realm: string;
  bundle: string;
  service?: string;
  issuer?: string;
  name?: string;
}): Promise<RunningRegistry> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'tessera-registry-peer-'));
  const bundleFile = join(dir, 'bundle.pem');
  writeFileSync(bundleFile, options.bundle);
  const config = [
    'version: 0.1',
    'log:',
    '  level: info',
    '  formatter: text',
    'storage:',
    '  filesystem:',
    `    rootdirectory: ${join(dir, 'storage')}`,
    '  delete:',
    '    enabled: true',
    'http:',
    `  addr: 127.0.0.1:${port}`,
    `  secret: ${randomBytes(16).toString('hex')}`,
    'auth:',
    '  token:',
    `    realm: ${options.realm}`,
    `    service: ${options.service ?? 'container_registry'}`,
    `    issuer: ${options.issuer ?? 'gitlab-issuer'}`,
    `    rootcertbundle: ${bundleFile}`,
    '',
  ].join('\n');
  writeFileSync(join(dir, 'config.yml'), config);
  const log = openSync(join(testLogDir(), `${options.name ?? 'docker-registry'}-${port}.log`), 'a');
  const child = spawn('docker-registry', ['serve', join(dir, 'config.yml')], {
    stdio: ['ignore', log, log],
    env: { PATH: process.env.PATH, HOME: dir },
  });
  closeSync(log);
  const stop = async () => {
    await stopChild(child);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitUntilAnswering(`http://127.0.0.1:${port}/v2/`, child);
  } catch (error) {
    await stop();
    throw error;
  }
  return { host: `127.0.0.1:${port}`, stop };
}

async function waitUntilAnswering(url: string, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null)
      throw new Error(`docker-registry exited with ${child.exitCode}; see its log`);
    try {
      const response = await fetch(url);
      if (response.status === 401) return;
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error('docker-registry did not start within 15 s');
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/** A one-layer OCI image layout written into a fresh directory, tagged `tag`: no network needed. */
export function buildOciImage(tag: string, content = `hello from ${tag}\n`): string {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-oci-'));
  const work = join(dir, 'rootfs');
  mkdirSync(work);
  writeFileSync(join(work, 'hello.txt'), content);
  const blobs = join(dir, 'blobs', 'sha256');
  mkdirSync(blobs, { recursive: true });
  const layer = execFileSync('tar', ['-cz', '--owner=0', '--group=0', '-C', work, 'hello.txt']);
  rmSync(work, { recursive: true });
  const put = (bytes: Buffer) => {
    const digest = createHash('sha256').update(bytes).digest('hex');
    writeFileSync(join(blobs, digest), bytes);
    return { digest: `sha256:${digest}`, size: bytes.length };
  };
  const layerBlob = put(layer);
  const diffId = `sha256:${createHash('sha256').update(gunzipSync(layer)).digest('hex')}`;
  const configBlob = put(
    Buffer.from(
      JSON.stringify({
        architecture: 'amd64',
        os: 'linux',
        rootfs: { type: 'layers', diff_ids: [diffId] },
        config: {},
      }),
    ),
  );
  const manifestBlob = put(
    Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...configBlob },
        layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', ...layerBlob }],
      }),
    ),
  );
  writeFileSync(join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  writeFileSync(
    join(dir, 'index.json'),
    JSON.stringify({
      schemaVersion: 2,
      manifests: [
        {
          mediaType: 'application/vnd.oci.image.manifest.v1+json',
          ...manifestBlob,
          annotations: { 'org.opencontainers.image.ref.name': tag },
        },
      ],
    }),
  );
  return dir;
}

export interface SkopeoResult {
  ok: boolean;
  stdout: string;
  stderr: string;
}

/** Runs skopeo with an empty home (no stored credentials) and the signature policy check off. */
export function skopeo(args: string[]): Promise<SkopeoResult> {
  const home = mkdtempSync(join(tmpdir(), 'tessera-skopeo-home-'));
  return new Promise((resolve) => {
    execFile(
      'skopeo',
      ['--insecure-policy', ...args],
      { env: { PATH: process.env.PATH, HOME: home, XDG_RUNTIME_DIR: home }, timeout: 60_000 },
      (error, stdout, stderr) => {
        rmSync(home, { recursive: true, force: true });
        resolve({ ok: !error, stdout, stderr });
      },
    );
  });
}

type Credentials = { username: string; password: string } | null;

const credsFlag = (flag: string, credentials: Credentials) =>
  credentials ? [`--${flag}creds`, `${credentials.username}:${credentials.password}`] : [`--${flag}no-creds`];

/** Pushes the OCI layout at `image` (tagged `tag`) to `<registry>/<repository>:<tag>`. */
export function push(
  registry: RunningRegistry,
  image: string,
  tag: string,
  repository: string,
  credentials: Credentials,
) {
  return skopeo([
    'copy',
    '--dest-tls-verify=false',
    ...credsFlag('dest-', credentials),
    `oci:${image}:${tag}`,
    `docker://${registry.host}/${repository}:${tag}`,
  ]);
}

/** Pulls the manifest and config of `<registry>/<repository>:<tag>` (what a cluster's pull starts with). */
export function pull(registry: RunningRegistry, repository: string, tag: string, credentials: Credentials) {
  return skopeo([
    'inspect',
    '--tls-verify=false',
    ...credsFlag('', credentials),
    `docker://${registry.host}/${repository}:${tag}`,
  ]);
}
