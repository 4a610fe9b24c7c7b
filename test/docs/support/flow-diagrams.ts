import { TESSERA_ROLES, type TesseraRole } from '../credential-vocabulary.ts';

/**
 * Parses the Mermaid sequence diagrams of a flow page into the requests they claim. A request arrow
 * (`A->>B: …`) to a participant named in the diagram's `%% tessera: B=instance, …` line must be
 * labelled `METHOD /path … [credential]` (HTTP) or `RpcName … [credential]` (gRPC); every bracketed
 * credential anywhere must be a vocabulary name. A dashed reply right after it (`B-->>A: 401 …`)
 * says the request is refused.
 */

export interface DiagramRequest {
  /** `docs/flows/x.md:42` */
  where: string;
  /** The arrow's label as written. */
  label: string;
  from: string;
  to: string;
  /** The callee's Tessera role; undefined for a third party. */
  role: TesseraRole | undefined;
  /** HTTP method, or `RPC` for a gRPC call. */
  method: string;
  /** The path with its query (HTTP), or the RPC name (`GenerateToken`, `grpc.health.v1.Health/Check`). */
  target: string;
  /** Each alternative credential of `[a | b]`: its vocabulary name and optional dead state. */
  credentials: Array<{ name: string; state: string | undefined }>;
  /** The status the reply right after it starts with (`401`, `UNAUTHENTICATED`), if any. */
  replyStatus: number | string | undefined;
}

/** A line of a diagram that breaks the conventions, already worded for the failure list. */
export interface DiagramProblem {
  where: string;
  message: string;
}

export interface ParsedPage {
  requests: DiagramRequest[];
  problems: DiagramProblem[];
  diagrams: number;
}

const HTTP_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'];
const ARROW = /^\s*(\w+)\s*(-->>|->>|-->|->|--x|-x|--\)|-\))\s*[+-]?\s*(\w+)\s*:\s*(.*)$/;
const PARTICIPANT = /^\s*(participant|actor)\s+(\w+)(?:\s+as\s+(.*))?$/;
const TESSERA_LINE = /^\s*%%\s*tessera:\s*(.*)$/;
/** The last `[…]` of a label (earlier brackets belong to bodies such as `{scopes:[api]}`). */
const CREDENTIAL = /\[([^[\]]*)\](?!.*\[[^[\]]*\])/;

/** Every sequence diagram of a Markdown page, with the page-relative line of each diagram line. */
export function parseFlowPage(file: string, text: string): ParsedPage {
  const lines = text.split('\n');
  const page: ParsedPage = { requests: [], problems: [], diagrams: 0 };
  for (let i = 0; i < lines.length; i++) {
    if (!/^```mermaid\s*$/.test(lines[i]!)) continue;
    const start = i + 1;
    let end = start;
    while (end < lines.length && !/^```\s*$/.test(lines[end]!)) end++;
    const body = lines.slice(start, end);
    if (body.some((line) => /^\s*sequenceDiagram\b/.test(line))) {
      page.diagrams++;
      parseDiagram(file, body, start, page);
    }
    i = end;
  }
  return page;
}

function parseDiagram(file: string, body: string[], offset: number, page: ParsedPage): void {
  const roles = new Map<string, TesseraRole>();
  const participants = new Set<string>();
  body.forEach((line, index) => {
    const where = `${file}:${offset + index + 1}`;
    const declared = PARTICIPANT.exec(line);
    if (declared) participants.add(declared[2]!);
    const tessera = TESSERA_LINE.exec(line);
    if (!tessera) return;
    for (const pair of tessera[1]!
      .split(',')
      .map((p) => p.trim())
      .filter(Boolean)) {
      const [alias, role] = pair.split('=').map((p) => p.trim());
      if (!alias || !role || !(TESSERA_ROLES as readonly string[]).includes(role)) {
        page.problems.push({
          where,
          message: `"${pair}": a Tessera participant is ALIAS=role, role one of ${TESSERA_ROLES.join(', ')}`,
        });
      } else roles.set(alias, role as TesseraRole);
    }
  });
  for (const alias of roles.keys()) {
    if (!participants.has(alias)) {
      page.problems.push({
        where: `${file}:${offset + 1}`,
        message: `%% tessera names ${alias}, no such participant`,
      });
    }
  }

  body.forEach((line, index) => {
    const arrow = ARROW.exec(line);
    if (!arrow || arrow[2]!.startsWith('--')) return;
    const [, from, , to, rawLabel] = arrow as unknown as [string, string, string, string, string];
    const label = rawLabel.replace(/\s*%%.*$/, '').trim();
    const where = `${file}:${offset + index + 1}`;
    const role = roles.get(to);
    const bracket = CREDENTIAL.exec(label);
    const request = requestOf(label, role);
    if (!request || !bracket) {
      if (role) {
        page.problems.push({
          where,
          message: `${label}: a request to the ${role} must read "METHOD /path [credential]"${role === 'workflow-service' ? ' or "RpcName [credential]"' : ''}`,
        });
      }
      // A credential on an arrow to a third party must still use the vocabulary.
      if (bracket && !role) page.requests.push(thirdParty(where, label, from, to, bracket[1]!));
      return;
    }
    page.requests.push({
      where,
      label,
      from,
      to,
      role,
      ...request,
      credentials: credentialsOf(bracket[1]!),
      replyStatus: replyStatusAfter(body, index, from, to),
    });
  });
}

function requestOf(
  label: string,
  role: TesseraRole | undefined,
): { method: string; target: string } | undefined {
  const http = /^([A-Z]+)\s+(\/\S*)/.exec(label);
  if (http && HTTP_METHODS.includes(http[1]!)) return { method: http[1]!, target: http[2]! };
  if (role && role !== 'workflow-service') return undefined;
  const rpc = /^((?:[a-z][\w]*\.)*[A-Z]\w*\/)?([A-Z]\w*)(?=\s|$)/.exec(label);
  return rpc ? { method: 'RPC', target: `${rpc[1] ?? ''}${rpc[2]}` } : undefined;
}

function thirdParty(where: string, label: string, from: string, to: string, bracket: string): DiagramRequest {
  return {
    where,
    label,
    from,
    to,
    role: undefined,
    method: '',
    target: '',
    credentials: credentialsOf(bracket),
    replyStatus: undefined,
  };
}

/** `a | b (note), dead-state` → each alternative's name and state; `(…)` notes are commentary. */
function credentialsOf(bracket: string): Array<{ name: string; state: string | undefined }> {
  return bracket.split('|').map((alternative) => {
    const bare = alternative.replace(/\([^)]*\)/g, '').trim();
    const comma = bare.lastIndexOf(',');
    return comma < 0
      ? { name: bare, state: undefined }
      : { name: bare.slice(0, comma).trim(), state: bare.slice(comma + 1).trim() };
  });
}

/** The status of the dashed reply from `to` back to `from` right after the request (notes skipped). */
function replyStatusAfter(
  body: string[],
  index: number,
  from: string,
  to: string,
): number | string | undefined {
  for (const line of body.slice(index + 1)) {
    if (/^\s*(Note|%%|rect|end|loop|alt|else|opt|activate|deactivate)\b/.test(line) || !line.trim()) continue;
    const arrow = ARROW.exec(line);
    if (!arrow || !arrow[2]!.startsWith('--') || arrow[1] !== to || arrow[3] !== from) return undefined;
    const status = /^(\d{3}|[A-Z_]{6,})\b/.exec(arrow[4]!.trim());
    if (!status) return undefined;
    return /^\d+$/.test(status[1]!) ? Number(status[1]) : status[1];
  }
  return undefined;
}
