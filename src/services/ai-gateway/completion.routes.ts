import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { languageOf, type CompletionKind, type ModelProvider } from './model-provider.ts';

interface CodeBody {
  current_file: { file_name?: string; content_above_cursor: string; content_below_cursor?: string };
  prompt?: string;
}

interface ChatBody {
  prompt_components: { type: string; payload: { content: string } }[];
}

const codeBodySchema = {
  type: 'object',
  required: ['current_file'],
  properties: {
    current_file: {
      type: 'object',
      required: ['content_above_cursor'],
      properties: {
        file_name: { type: 'string', maxLength: 1024 },
        content_above_cursor: { type: 'string', maxLength: 100_000 },
        content_below_cursor: { type: 'string', maxLength: 100_000 },
      },
    },
    prompt: { type: 'string', maxLength: 100_000 },
  },
} as const;

const chatBodySchema = {
  type: 'object',
  required: ['prompt_components'],
  properties: {
    prompt_components: {
      type: 'array',
      minItems: 1,
      maxItems: 50,
      items: {
        type: 'object',
        required: ['type', 'payload'],
        properties: {
          type: { type: 'string' },
          payload: {
            type: 'object',
            required: ['content'],
            properties: { content: { type: 'string', maxLength: 100_000 } },
          },
        },
      },
    },
  },
} as const;

/**
 * The model endpoints, each guarded by its unit primitive (checked by the SDK plugin before the body
 * is even parsed): `/v2/completions` (complete_code), `/v2/code/generations` (generate_code),
 * `/v1/chat/agent` (duo_chat). Responses follow the shapes GitLab's gateway answers with.
 */
export function registerCompletionRoutes(app: FastifyInstance, provider: ModelProvider): void {
  const code =
    (kind: CompletionKind) => async (request: { body: CodeBody; cloudConnector: { sub?: string } }) => {
      const file = request.body.current_file;
      const language = languageOf(file.file_name);
      const result = await provider.complete({
        kind,
        prefix: file.content_above_cursor,
        suffix: file.content_below_cursor ?? '',
        prompt: request.body.prompt ?? '',
        fileName: file.file_name,
        language,
        subject: request.cloudConnector.sub ?? '',
      });
      return {
        id: randomUUID(),
        model: { engine: provider.name, name: result.model, lang: language ?? '' },
        object: 'text_completion',
        created: Math.floor(Date.now() / 1000),
        choices: [{ text: result.text, index: 0, finish_reason: result.finishReason }],
      };
    };

  app.post<{ Body: CodeBody }>(
    '/v2/completions',
    { config: { scopes: ['complete_code'] }, schema: { body: codeBodySchema } },
    code('code_completion'),
  );
  app.post<{ Body: CodeBody }>(
    '/v2/code/generations',
    { config: { scopes: ['generate_code'] }, schema: { body: codeBodySchema } },
    code('code_generation'),
  );
  app.post<{ Body: ChatBody }>(
    '/v1/chat/agent',
    { config: { scopes: ['duo_chat'] }, schema: { body: chatBodySchema } },
    async (request) => {
      const prompt = request.body.prompt_components.map((component) => component.payload.content).join('\n');
      const result = await provider.complete({
        kind: 'chat',
        prefix: '',
        suffix: '',
        prompt,
        subject: request.cloudConnector.sub ?? '',
      });
      return {
        response: result.text,
        metadata: { provider: provider.name, model: result.model, timestamp: Math.floor(Date.now() / 1000) },
      };
    },
  );
}
