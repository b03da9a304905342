/** A demo failure whose message says what to do; the process exits with `exitCode`. */
export class DemoError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
    this.name = 'DemoError';
  }
}
