import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import { beginHttpRequest } from './http-request.js';
import { HttpError, readJson } from './http-util.js';
import type { ProviderDeps } from './provider-request.js';
import { type LatestMessage, type ScriptedResponder, tokenize } from './responder.js';
import { delay } from './stage-behaviour.js';

const messageSchema = z
  .object({
    role: z.string(),
    content: z.union([z.string(), z.array(z.object({ type: z.string(), text: z.string().optional() }).passthrough()), z.null()]).optional(),
  })
  .passthrough();

const chatRequestSchema = z
  .object({
    model: z.string(),
    messages: z.array(messageSchema).min(1),
    stream: z.boolean().optional(),
    stream_options: z.object({ include_usage: z.boolean().optional() }).passthrough().nullish(),
    tools: z
      .array(z.object({ type: z.string(), function: z.object({ name: z.string() }).passthrough().optional() }).passthrough())
      .nullish(),
  })
  .passthrough();

type ChatMessage = z.infer<typeof messageSchema>;

function textOf(message: ChatMessage): string {
  const { content } = message;
  if (typeof content === 'string') return content;
  return (content ?? []).map((part) => part.text ?? '').join(' ');
}

/** What the responder answers: the last message if a tool's output, otherwise the caller's last words. */
function latestMessage(messages: ChatMessage[]): LatestMessage {
  const last = messages.at(-1)!;
  // The agents send a tool's output JSON-encoded: a string arrives quoted.
  if (last.role === 'tool') return { role: 'tool', text: decodedToolOutput(textOf(last)) };
  const lastUser = [...messages].reverse().find((m) => m.role === 'user');
  return { role: 'user', text: lastUser ? textOf(lastUser) : '' };
}

function decodedToolOutput(output: string): string {
  try {
    const value: unknown = JSON.parse(output);
    return typeof value === 'string' ? value : output;
  } catch {
    return output;
  }
}

/** Tokens sent before a `drop` fault cuts the stream: enough for the agent to have started speaking. */
const TOKENS_BEFORE_DROP = 3;

/**
 * `POST /v1/chat/completions`, streamed as server-sent events like OpenAI's API (the only mode the
 * agents' OpenAI plugin uses), answering from the scripted responder.
 */
export async function handleChatCompletions(
  req: IncomingMessage,
  res: ServerResponse,
  deps: ProviderDeps & { responder: ScriptedResponder },
): Promise<void> {
  const parsed = chatRequestSchema.safeParse(await readJson(req));
  if (!parsed.success) throw new HttpError(400, `invalid chat request: ${parsed.error.issues[0]?.message}`);
  const body = parsed.data;
  const http = beginHttpRequest(res, 'llm', body.messages, deps, { streamed: true });
  if (!http) return;
  const { request, transport, signal } = http;

  const offered = new Set((body.tools ?? []).flatMap((t) => (t.function ? [t.function.name] : [])));
  const reply = deps.responder.reply(latestMessage(body.messages), offered);
  const tokens = 'say' in reply ? tokenize(reply.say) : [];
  const { llmTtftMs, llmTokensPerSecond } = deps.behaviour.latency;
  const id = `chatcmpl-local-${request.record.id}`;
  const created = Math.floor(Date.now() / 1000);
  const chunk = (delta: object, finishReason: string | null = null) =>
    `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model: body.model, choices: [{ index: 0, delta, finish_reason: finishReason }] })}\n\n`;

  try {
    await delay(llmTtftMs, signal);
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
    res.write(chunk({ role: 'assistant', content: '' }));
    for (const [i, token] of tokens.entries()) {
      if (i > 0 && llmTokensPerSecond > 0) await delay(1000 / llmTokensPerSecond, signal);
      if (i === TOKENS_BEFORE_DROP && request.cutHere(transport)) return;
      res.write(chunk({ content: token }));
      request.firstOutput();
    }
    if ('call' in reply) {
      // As OpenAI streams a call: its name first, then the arguments, then the reason it stopped.
      const callId = `call_local_${request.record.id}`;
      res.write(chunk({ tool_calls: [{ index: 0, id: callId, type: 'function', function: { name: reply.call.name, arguments: '' } }] }));
      res.write(chunk({ tool_calls: [{ index: 0, function: { arguments: JSON.stringify(reply.call.arguments) } }] }));
      request.firstOutput();
    }
    res.write(chunk({}, 'call' in reply ? 'tool_calls' : 'stop'));
    if (body.stream_options?.include_usage) {
      const usage = {
        prompt_tokens: body.messages.length,
        completion_tokens: tokens.length,
        total_tokens: body.messages.length + tokens.length,
      };
      res.write(`data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model: body.model, choices: [], usage })}\n\n`);
    }
    res.end('data: [DONE]\n\n');
    request.end('completed', 'say' in reply ? reply.say : `call ${reply.call.name}(${JSON.stringify(reply.call.arguments)})`);
  } catch (e) {
    if (signal.aborted) return; // cancelled by the agent (e.g. the caller interrupted): already logged
    throw e;
  }
}
