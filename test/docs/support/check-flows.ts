import {
  credentialTerm,
  DEAD_STATES,
  type CredentialName,
  type TesseraRole,
} from '../credential-vocabulary.ts';
import { PRESENTERS, type HttpProbe } from './credential-probes.ts';
import { parseFlowPage, type DiagramRequest } from './flow-diagrams.ts';
import { callRpc, ProtoCatalogue } from './grpc-probe.ts';
import { CredentialMint, send, type LiveWorld } from './probe-world.ts';

/** What a probe saw: whether the credential was refused, and the answer in a few words. */
export interface ProbeAnswer {
  refused: boolean;
  answer: string;
}

/** The questions a diagram line asks of the running system. */
export interface FlowOracle {
  hasRoute(role: TesseraRole, method: string, path: string): boolean;
  hasRpc(target: string): boolean;
  probe(
    request: DiagramRequest,
    credential: { name: string; state: string | undefined },
  ): Promise<ProbeAnswer>;
}

/**
 * Checks every request of a page's diagrams: the credential names are the vocabulary's; a request to a
 * Tessera participant names a route of that role (or an RPC of `proto/`), and the role really accepts
 * the named credential — or really refuses it when the diagram says so (a dead state, or a 401 /
 * `UNAUTHENTICATED` reply right after). Each failure names the file and line.
 */
export async function checkFlowPage(file: string, text: string, oracle: FlowOracle): Promise<string[]> {
  const page = parseFlowPage(file, text);
  const failures = page.problems.map((p) => `${p.where}: ${p.message}`);
  for (const request of page.requests) {
    const bracket = request.credentials.map((c) => (c.state ? `${c.name}, ${c.state}` : c.name)).join(' | ');
    const head = `${request.where}: ${request.method === 'RPC' ? '' : `${request.method} `}${request.target} [${bracket}]`;
    const known = request.credentials.every((credential) => {
      if (!credentialTerm(credential.name)) {
        failures.push(
          `${request.where}: "${credential.name}" is not a credential name of docs/flows/README.md`,
        );
        return false;
      }
      if (credential.state && !(DEAD_STATES as readonly string[]).includes(credential.state)) {
        failures.push(`${request.where}: "${credential.state}" is not a state (${DEAD_STATES.join(', ')})`);
        return false;
      }
      return true;
    });
    if (!request.role || !known) continue;
    if (
      request.method === 'RPC'
        ? !oracle.hasRpc(request.target)
        : !oracle.hasRoute(request.role, request.method, pathOf(request.target))
    ) {
      failures.push(
        `${head}: no such ${request.method === 'RPC' ? 'RPC in proto/' : 'route'} on ${request.role}`,
      );
      continue;
    }
    for (const credential of request.credentials) {
      const term = credentialTerm(credential.name)!;
      if (term.external) {
        failures.push(
          `${head}: ${credential.name} is accepted by third parties only, not by the ${request.role}`,
        );
        continue;
      }
      const expectRefused =
        credential.state !== undefined ||
        (request.replyStatus !== undefined &&
          (term.refusal as readonly (number | string)[]).includes(request.replyStatus));
      const seen = await oracle.probe(request, credential);
      if (seen.refused && !expectRefused) {
        failures.push(
          `${head}: the ${request.role} does not accept ${credential.name} here (answered ${seen.answer})`,
        );
      } else if (!seen.refused && expectRefused) {
        failures.push(
          `${head}: the diagram says ${credential.name}${credential.state ? `, ${credential.state},` : ''} is refused, but the ${request.role} accepts it (answered ${seen.answer})`,
        );
      }
    }
  }
  const line = (failure: string) => Number(/^[^:]+:(\d+):/.exec(failure)?.[1] ?? 0);
  return failures.sort((a, b) => line(a) - line(b));
}

const pathOf = (target: string) => target.split('?')[0]!;

/** The oracle over a live world: route tables of the real Fastify apps, `proto/`, real requests. */
export function liveOracle(world: LiveWorld): FlowOracle {
  const mint = new CredentialMint(world);
  const protos = new ProtoCatalogue('proto');
  return {
    hasRoute(role, method, path) {
      if (role === 'workflow-service') return false;
      const found = world.apps[role].app.findRoute({ method: method as 'GET', url: path });
      // A catch-all (the gateway's CORS preflight) is not the route a diagram means.
      return found !== null && (method === 'OPTIONS' || !('*' in (found.params ?? {})));
    },
    hasRpc: (target) => protos.find(target) !== undefined,
    async probe(request, credential) {
      const presenter = PRESENTERS[credential.name as CredentialName]!;
      const probe: HttpProbe = {
        method: request.method,
        headers: {},
        json: {},
        fresh: !['GET', 'HEAD', 'RPC'].includes(request.method),
        state: credential.state,
        ids: {},
      };
      await presenter(probe, mint, world);
      if (request.method === 'RPC') {
        const code = await callRpc(
          protos,
          world.workflow.address,
          request.target,
          probe.headers.authorization,
        );
        return { refused: code === 'UNAUTHENTICATED', answer: code };
      }
      const base = world.apps[request.role as Exclude<TesseraRole, 'workflow-service'>].url;
      const answer = await sendProbe(`${base}${await concrete(request.target, world, mint, probe)}`, probe);
      const refusal = credentialTerm(credential.name)!.refusal;
      return {
        refused: refusal.includes(answer.status),
        answer: `${answer.status} ${answer.summary}`.trim(),
      };
    },
  };
}

/** The path with its `:parameters` replaced by the world's ids (the probe's own job, token, …). */
async function concrete(
  target: string,
  world: LiveWorld,
  mint: CredentialMint,
  probe: HttpProbe,
): Promise<string> {
  const [path, query] = target.split('?') as [string, string | undefined];
  const segments = path.split('/');
  for (let i = 0; i < segments.length; i++) {
    const name = segments[i]!.startsWith(':') ? segments[i]!.slice(1) : undefined;
    if (!name) continue;
    const previous = segments[i - 1] ?? '';
    segments[i] = String(await parameter(previous, name, world, mint, probe));
  }
  return `${segments.join('/')}${query === undefined ? '' : `?${query}`}`;
}

async function parameter(
  previous: string,
  name: string,
  world: LiveWorld,
  mint: CredentialMint,
  probe: HttpProbe,
) {
  if (name === 'add_on') return 'duo_enterprise';
  if (previous === 'projects' || name === 'target_project_id') return world.project.id;
  if (previous === 'groups' || name === 'target_group_id') return world.project.namespace_id;
  if (previous === 'users' || name === 'user_id') return world.root.id;
  // A request that may change what its path names gets an object of its own (never the shared one).
  if (previous === 'jobs' || name === 'job_id') return probe.ids.job ?? (await mint.job(probe.fresh)).id;
  if (previous === 'deploy_tokens' || name === 'token_id')
    return probe.ids.deployToken ?? (await mint.deployToken(probe.fresh)).id;
  if (previous === 'personal_access_tokens') return probe.ids.pat ?? (await mint.pat(probe.fresh)).id;
  if (previous === 'applications') return (await mint.application()).id;
  if (previous === 'licenses')
    return (await world.authority.createLicense([{ name: 'duo_pro', seats: 1 }])).id;
  return 1;
}

async function sendProbe(url: string, probe: HttpProbe): Promise<{ status: number; summary: string }> {
  const git = /\/(git-upload-pack|git-receive-pack)$/.exec(new URL(url).pathname);
  if (git) {
    // git's own content type, and an empty pack request: authorization is decided before git runs.
    const response = await fetch(url, {
      method: probe.method,
      headers: { ...probe.headers, 'content-type': `application/x-${git[1]}-request` },
      body: '',
    });
    await response.arrayBuffer();
    return { status: response.status, summary: '' };
  }
  const withBody = !['GET', 'HEAD'].includes(probe.method);
  const target = new URL(url);
  if (!withBody)
    for (const [key, value] of Object.entries(probe.json)) target.searchParams.set(key, String(value));
  const answer = await send(target.toString(), {
    method: probe.method,
    headers: probe.headers,
    ...(withBody ? { json: probe.json } : {}),
  });
  return { status: answer.status, summary: summaryOf(answer.body) };
}

function summaryOf(body: unknown): string {
  if (body && typeof body === 'object') {
    const fields = body as Record<string, unknown>;
    const message =
      fields.message ??
      fields.error_description ??
      fields.error ??
      (fields.errors as unknown[] | undefined)?.[0];
    if (message !== undefined) return JSON.stringify(message).slice(0, 120);
  }
  return '';
}
