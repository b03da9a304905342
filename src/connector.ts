/**
 * The connector API: the only module a bridge imports from core (besides `src/format/`).
 *
 * A bridge exports a `Connector`: a small required core (`start`, `stop`,
 * `handleMatrixMessage`) plus optional capability handlers. Core checks for a
 * capability with the type guards (connector/capabilities.ts) where it is used; a
 * missing handler is a capability the network lacks, and core tells the Matrix sender so.
 * The pieces live in src/connector/, one concept a file; bridges import them from here.
 */
export type { MessageContent, Inline, Attachment } from './format/content.js';
export * from './connector/ids.js';
export * from './connector/matrix-events.js';
export * from './connector/remote-events.js';
export * from './connector/context.js';
export * from './connector/emit-outcome.js';
export * from './connector/commands.js';
export * from './connector/errors.js';
export * from './connector/capabilities.js';
