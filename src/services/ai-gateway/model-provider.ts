import { createHash } from 'node:crypto';

/** Which gateway endpoint a request came through. */
export type CompletionKind = 'code_completion' | 'code_generation' | 'chat';

/**
 * What the gateway asks a model, already stripped of transport details. Code requests carry the text
 * around the cursor; chat requests carry the user's message in `prompt`.
 */
export interface CompletionRequest {
  kind: CompletionKind;
  prefix: string;
  suffix: string;
  prompt: string;
  fileName?: string;
  /** Language guessed from the file name (`python`, `typescript`, …), or undefined. */
  language?: string;
  /** `sub` of the verified token: the user (or instance) the answer is for. */
  subject: string;
}

export interface CompletionResult {
  text: string;
  /** Model name reported back to the client. */
  model: string;
  finishReason: 'stop' | 'length';
}

/**
 * The one seam between the gateway and a model. An implementation receives a request the gateway has
 * already authenticated and authorised (the scope of the endpoint was checked), must not assume
 * anything about HTTP, and should reject with an ordinary Error when the model fails (the gateway
 * answers 500 without echoing it). Plug a real one in through `buildAiGateway({ provider })`.
 *
 * @example
 * ```ts
 * const upstream: ModelProvider = {
 *   name: 'my-llm',
 *   async complete(request) {
 *     const text = await callMyModel(request.prefix, request.suffix);
 *     return { text, model: 'my-llm-v1', finishReason: 'stop' };
 *   },
 * };
 * ```
 */
export interface ModelProvider {
  readonly name: string;
  complete(request: CompletionRequest): Promise<CompletionResult>;
}

const COMMENT: Record<string, string> = { python: '#', ruby: '#', shell: '#' };

/**
 * The default provider: no network, no model, the same answer for the same input, so tests and the
 * demo are reproducible. It answers with a short language-aware stub tagged with a digest of the input.
 *
 * @example
 * ```ts
 * const provider = createLocalModelProvider();
 * const { text } = await provider.complete({ kind: 'chat', prefix: '', suffix: '', prompt: 'hi', subject: 'u1' });
 * ```
 */
export function createLocalModelProvider(): ModelProvider {
  return {
    name: 'tessera-local',
    async complete(request) {
      const digest = createHash('sha256')
        .update(`${request.kind}\0${request.prefix}\0${request.suffix}\0${request.prompt}`)
        .digest('hex')
        .slice(0, 8);
      const comment = COMMENT[request.language ?? ''] ?? '//';
      const text =
        request.kind === 'chat'
          ? `This is the local model (no network). You asked: "${request.prompt.slice(0, 200)}" [${digest}]`
          : request.kind === 'code_generation'
            ? `\n${comment} generated locally for: ${firstLine(request.prompt || request.prefix)} [${digest}]\n`
            : ` ${comment} completed locally [${digest}]`;
      return {
        text,
        model: 'local-deterministic',
        finishReason: request.kind === 'code_completion' ? 'length' : 'stop',
      };
    },
  };
}

const LANGUAGES: Record<string, string> = {
  py: 'python',
  rb: 'ruby',
  ts: 'typescript',
  js: 'javascript',
  go: 'go',
  rs: 'rust',
  java: 'java',
  sh: 'shell',
};

/** The language a file name suggests, from its extension. */
export function languageOf(fileName: string | undefined): string | undefined {
  const extension = fileName?.split('.').pop()?.toLowerCase();
  return extension === undefined ? undefined : LANGUAGES[extension];
}

function firstLine(text: string): string {
  return (
    text
      .split('\n')
      .map((line) => line.trim())
      .find((line) => line.length > 0)
      ?.slice(0, 80) ?? 'the file'
  );
}
