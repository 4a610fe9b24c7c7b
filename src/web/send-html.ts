import type { FastifyReply } from 'fastify';
import type { SafeHtml } from './html.ts';

/** Answers a rendered page. Only {@link SafeHtml} can be sent, so nothing unescaped reaches a browser. */
export function sendHtml(reply: FastifyReply, page: SafeHtml, status = 200): FastifyReply {
  return reply.status(status).type('text/html; charset=utf-8').send(page.toString());
}
