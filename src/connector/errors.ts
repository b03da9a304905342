/** The one error a bridge throws. */
export type BridgeErrorCode =
  'unsupported' | 'not-connected' | 'too-large' | 'rejected' | 'unknown-target' | 'network';

/** The one error a bridge throws: how it is reported is part of it. */
export class BridgeError extends Error {
  constructor(
    readonly code: BridgeErrorCode,
    /** Shown to the Matrix sender; never contains secrets. */
    readonly userMessage: string,
    readonly retriable = false,
  ) {
    super(userMessage);
    this.name = 'BridgeError';
  }
}
