/** A worker address to poll, and how it was found. */
export interface Target {
  /** `host:port` of the worker's InferenceService. */
  readonly address: string;
  readonly source: 'static' | 'dns' | 'registry';
}

/** One way to find workers. `discover()` never rejects: a failed lookup keeps its last answer. */
export interface Discovery {
  readonly name: string;
  discover(): Promise<readonly Target[]>;
}
