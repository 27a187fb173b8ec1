/**
 * Records which read-model reads a stretch of work made, by name. Off unless started, so it costs one
 * property check per call. Tests use it to prove batching: a page of nested objects costs a bounded
 * number of reads however many rows it has.
 *
 * Usage: recorder.start(); …; const calls = recorder.stop(); // ['mcisPage', 'settingsByMciIds', …]
 */
export class QueryRecorder {
  private log: string[] | undefined;

  start(): void {
    this.log = [];
  }

  stop(): string[] {
    const calls = this.log ?? [];
    this.log = undefined;
    return calls;
  }

  record(name: string): void {
    this.log?.push(name);
  }
}
