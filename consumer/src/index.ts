export { parseWriterConfig, writerConfigSchema, type WriterConfig } from './config.js';
export { startWriter, DEFAULT_MIGRATIONS_DIR, type Writer, type WriterOptions } from './writer.js';
export { createWriterMetrics, type WriterMetrics } from './metrics.js';
export { escapeCopyText, copyTextLine, isStorableText } from './copy/text.js';
export { classifyPgError, type FailureAction } from './store/errors.js';
export type { DeadLetter, FlushResult, MessageRow } from './store/rows.js';
