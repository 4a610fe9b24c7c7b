import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';

/** The repository's `proto/` directory: the one source of the wire format, shared with non-Node clients. */
export const PROTO_DIR = fileURLToPath(new URL('../../../proto/', import.meta.url));

export const WORKFLOW_SERVICE_PATH = '/tessera.workflow.v1.WorkflowService';
export const HEALTH_SERVICE_PATH = '/grpc.health.v1.Health';

// Messages as proto-loader hands them over with the options below: camelCase fields, int64 as number,
// and the name of the set `oneof` member in `event` / `action`.
export interface HealthCheckRequest {
  service: string;
}
export type ServingStatus = 'UNKNOWN' | 'SERVING' | 'NOT_SERVING' | 'SERVICE_UNKNOWN';
export interface HealthCheckResponse {
  status: ServingStatus;
}
export interface GenerateTokenRequest {
  workflowDefinition: string;
  workflowId: string;
}
export interface GenerateTokenResponse {
  token: string;
  expiresAt: number;
}
export interface RevokeWorkflowTokensRequest {
  workflowId: string;
}
export interface RevokeWorkflowTokensResponse {
  revoked: number;
}
export interface StartWorkflowRequest {
  workflowId: string;
  goal: string;
  workflowDefinition: string;
}
export interface ClientEvent {
  event?: 'startRequest' | 'actionResponse';
  startRequest?: StartWorkflowRequest;
  actionResponse?: { requestId: string; response: string };
}
export interface PlanStep {
  index: number;
  title: string;
}
export interface CommitChange {
  step: number;
  branch: string;
  path: string;
  content: string;
  message: string;
}
export interface Action {
  requestId: string;
  action?: 'plan' | 'runCommand' | 'readFile' | 'finished' | 'commitChange' | 'addComment';
  plan?: { steps: PlanStep[] };
  runCommand?: { step: number; command: string; arguments: string[] };
  readFile?: { step: number; path: string };
  finished?: { summary: string };
  commitChange?: CommitChange;
  addComment?: { step: number; body: string };
}

interface LoadedProtos {
  tessera: { workflow: { v1: { WorkflowService: grpc.ServiceClientConstructor } } };
  grpc: { health: { v1: { Health: grpc.ServiceClientConstructor } } };
}

let loaded: LoadedProtos | undefined;

/** The workflow and health service definitions, loaded once from `proto/`. */
export function workflowProtos(): LoadedProtos {
  loaded ??= grpc.loadPackageDefinition(
    protoLoader.loadSync(['workflow_service.proto', 'grpc/health/v1/health.proto'], {
      includeDirs: [PROTO_DIR],
      keepCase: false,
      longs: Number,
      enums: String,
      defaults: true,
      oneofs: true,
    }),
  ) as unknown as LoadedProtos;
  return loaded;
}
