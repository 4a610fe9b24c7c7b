#!/usr/bin/env node
// The `pretest` step: makes sure every real third-party peer the end-to-end tests drive is installed.
// On Debian as root it installs what is missing with apt-get; otherwise it names the packages and fails,
// because a peer test must never skip silently.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/** Debian package → a file whose presence proves it is installed. */
const PEERS = {
  git: '/usr/lib/git-core/git-http-backend',
  'python3-gitlab': '/usr/lib/python3/dist-packages/gitlab/__init__.py',
  'python3-jwt': '/usr/lib/python3/dist-packages/jwt/__init__.py',
  // A second OAuth client for the token exchange (RFC 8693).
  'python3-authlib': '/usr/lib/python3/dist-packages/authlib/__init__.py',
  'python3-grpcio': '/usr/lib/python3/dist-packages/grpc/__init__.py',
  'python3-grpc-tools': '/usr/lib/python3/dist-packages/grpc_tools/protoc.py',
  chromium: '/usr/bin/chromium',
  'docker-registry': '/usr/bin/docker-registry',
  skopeo: '/usr/bin/skopeo',
  openssl: '/usr/bin/openssl',
  // CI job scripts in the end-to-end tests call the API with it, as real jobs do.
  curl: '/usr/bin/curl',
};

const missing = Object.entries(PEERS)
  .filter(([, proof]) => !existsSync(proof))
  .map(([name]) => name);

if (missing.length === 0) process.exit(0);

const isRoot = process.getuid?.() === 0;
const hasApt = spawnSync('apt-get', ['--version'], { stdio: 'ignore' }).status === 0;
if (!isRoot || !hasApt) {
  console.error(`The end-to-end tests need these Debian packages: ${missing.join(' ')}`);
  console.error(`Install them with: sudo apt-get install -y --no-install-recommends ${missing.join(' ')}`);
  process.exit(1);
}

console.log(`installing test peers: ${missing.join(' ')}`);
const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
execFileSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...missing], {
  stdio: 'inherit',
  env,
});
