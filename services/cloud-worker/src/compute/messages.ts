/** Messages between the worker's JS thread and a compute thread (structured-cloned over a MessagePort). */

/** Session options a compute thread opens a model file with (the same ones the JS thread validated). */
export interface ThreadSessionOptions {
  readonly intraOpNumThreads: number;
  readonly interOpNumThreads: number;
}

export type ToThread =
  | {
      readonly kind: 'open';
      readonly id: number;
      readonly path: string;
      readonly options: ThreadSessionOptions;
      readonly inputName: string;
      readonly outputName: string;
      /** Per-sample input shape (no batch axis). */
      readonly shape: readonly number[];
      /** Shared batch input: `maxBatch * prod(shape)` float32 values written by the JS thread. */
      readonly input: SharedArrayBuffer;
    }
  | { readonly kind: 'run'; readonly id: number; readonly handle: number; readonly n: number }
  | { readonly kind: 'release'; readonly id: number; readonly handle: number }
  /**
   * Test hook: make the thread die the way a real fault would (`exit`: `process.exit` inside the thread,
   * as native code aborting it would; `throw`: an uncaught error), now or on receiving the next `run`
   * (which then never answers: it is in flight when the thread dies). Only the worker's own JS thread
   * can post it; nothing a client sends reaches it.
   */
  | {
      readonly kind: 'crash';
      readonly id: number;
      readonly how: 'exit' | 'throw';
      readonly atNextRun: boolean;
    };

export type FromThread =
  | { readonly kind: 'opened'; readonly id: number; readonly handle: number }
  | {
      readonly kind: 'done';
      readonly id: number;
      readonly logits: Float32Array;
      readonly computeMs: number;
    }
  | { readonly kind: 'released'; readonly id: number }
  | { readonly kind: 'failed'; readonly id: number; readonly message: string };
