import type { ChatMessage } from './events.js';
import {
  MAX_BODY_BYTES_CEILING,
  MESSAGE_ID_PATTERN,
  ROOM_PATTERN,
  USER_ID_PATTERN,
} from './limits.js';

/** The Kafka topic every chat node produces to and every writer consumes. */
export const DEFAULT_TOPIC = 'chat.messages';

/** Version of the record layout below; bump it with a migration path in the writer. */
export const RECORD_VERSION = 1;

/**
 * A chat message as it travels through Kafka: the record value is this object as
 * JSON (UTF-8), the record key is the room (so one room keeps its order within
 * one partition). `node` names the accepting chat node, for tracing only.
 */
export interface ChatRecord extends ChatMessage {
  v: typeof RECORD_VERSION;
  node: string;
}

export function encodeRecord(message: ChatMessage, node: string): string {
  const record: ChatRecord = { v: RECORD_VERSION, ...message, node };
  return JSON.stringify(record);
}

/** Why a record cannot be stored; each becomes the `reason` of a dead letter. */
export type PoisonReason =
  'not_utf8' | 'not_json' | 'wrong_shape' | 'unsupported_version' | 'nul_character' | 'oversized';

export type DecodedRecord =
  { ok: true; record: ChatRecord } | { ok: false; reason: PoisonReason; detail: string };

/** Largest record value a writer accepts: the body ceiling plus room for the envelope. */
export const MAX_RECORD_BYTES = MAX_BODY_BYTES_CEILING * 2;

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Decodes and validates a record value taken from Kafka. Never throws: whatever
 * arrives, the writer gets either a record it can store or a reason to dead-letter it.
 */
export function decodeRecord(value: Buffer | null): DecodedRecord {
  if (value === null) return { ok: false, reason: 'wrong_shape', detail: 'record has no value' };
  if (value.length > MAX_RECORD_BYTES) {
    return { ok: false, reason: 'oversized', detail: `record is ${value.length} bytes` };
  }

  let text: string;
  try {
    text = utf8.decode(value);
  } catch {
    return { ok: false, reason: 'not_utf8', detail: 'record value is not valid UTF-8' };
  }

  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    return { ok: false, reason: 'not_json', detail: (error as Error).message };
  }
  return validateRecord(parsed);
}

function validateRecord(parsed: unknown): DecodedRecord {
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    return { ok: false, reason: 'wrong_shape', detail: 'record is not an object' };
  }

  const r = parsed as Record<string, unknown>;
  if (r.v !== RECORD_VERSION) {
    return { ok: false, reason: 'unsupported_version', detail: `v=${String(r.v)}` };
  }

  const problem = shapeProblem(r);
  if (problem !== undefined) return { ok: false, reason: 'wrong_shape', detail: problem };

  const body = r.body as string;
  if (body.includes('\u0000') || (r.from as string).includes('\u0000')) {
    return { ok: false, reason: 'nul_character', detail: 'text columns cannot hold NUL' };
  }
  if (!body.isWellFormed()) {
    return { ok: false, reason: 'not_utf8', detail: 'body has a lone surrogate' };
  }
  if (Buffer.byteLength(body, 'utf8') > MAX_BODY_BYTES_CEILING) {
    return { ok: false, reason: 'oversized', detail: 'body exceeds the ceiling' };
  }

  const record: ChatRecord = {
    v: RECORD_VERSION,
    id: r.id as string,
    room: r.room as string,
    from: r.from as string,
    body,
    ts: r.ts as number,
    node: r.node as string,
  };
  return { ok: true, record };
}

function shapeProblem(r: Record<string, unknown>): string | undefined {
  if (typeof r.id !== 'string' || !MESSAGE_ID_PATTERN.test(r.id)) return 'bad id';
  if (typeof r.room !== 'string' || !ROOM_PATTERN.test(r.room)) return 'bad room';
  if (typeof r.from !== 'string' || !USER_ID_PATTERN.test(r.from)) return 'bad from';
  if (typeof r.body !== 'string' || r.body.length === 0) return 'bad body';
  if (typeof r.ts !== 'number' || !Number.isSafeInteger(r.ts) || r.ts <= 0) return 'bad ts';
  if (typeof r.node !== 'string' || r.node.length === 0 || r.node.length > 128) return 'bad node';
  return undefined;
}
