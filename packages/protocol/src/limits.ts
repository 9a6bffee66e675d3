/**
 * Identifier and size rules of the Socket.IO protocol (see docs/protocol.md).
 * They are the single source for the chat node, the writer and the bench.
 */

/** A message id: chosen by the client, the idempotency key end to end. */
export const MESSAGE_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

/** A room name. `dm:` and `user:` prefixes are reserved (see `rooms.ts`). */
export const ROOM_PATTERN = /^[A-Za-z0-9_.:-]{1,64}$/;

/**
 * A user id. Capped at 30 characters and without `:` so that the direct-message
 * room of any two users, `dm:<a>:<b>`, still fits the 64-character room rule.
 */
export const USER_ID_PATTERN = /^[A-Za-z0-9_.-]{1,30}$/;

/** Default cap on a message body, in UTF-8 bytes. Nodes may configure another. */
export const DEFAULT_MAX_BODY_BYTES = 4096;

/** Hard ceiling on a message body any node accepts, whatever its setting. */
export const MAX_BODY_BYTES_CEILING = 64 * 1024;
