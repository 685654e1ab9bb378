// The one typed channel between the extension host and its pages and workers. A contract is a
// discriminated union of messages (`type`); what comes from a page or a worker is declared as
// a zod schema, so its type is written once and every message is checked when it arrives.
// Requests carry a `requestId` and their replies carry it back (protocol/requests.ts pairs them).
import { z } from 'zod';

export type { Request } from './requests';

/** Every page says it is ready for its data. */
export const readyMessage = z.object({ type: z.literal('ready') });

/** A problem or a note inside a page, for the extension's log. */
export const logMessage = z.object({ type: z.literal('log'), level: z.enum(['info', 'warn', 'error']), message: z.string() });
export type LogMessage = z.infer<typeof logMessage>;

/** A message that cannot be used: what was wrong with it, in a line for the log. */
export class MalformedMessage extends Error {}

/**
 * The message, typed, if it has the declared shape of one of the schema's messages; otherwise
 * throws MalformedMessage saying which message and field was wrong.
 */
export function checkMessage<T>(schema: z.ZodType<T>, data: unknown): T {
  const result = schema.safeParse(data);
  if (result.success) return result.data;
  const type = typeof data === 'object' && data !== null && 'type' in data ? JSON.stringify((data as { type: unknown }).type) : 'without a type';
  const issue = result.error.issues[0];
  const where = issue?.path.length ? ` at ${issue.path.join('.')}` : '';
  throw new MalformedMessage(`a malformed or unknown message (${type})${where}: ${issue?.message ?? 'not a message'}`);
}
