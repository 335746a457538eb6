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
    }
  /**
   * Test hook: the next `run` first blocks the thread for `ms` (a synchronous loop, as a session run stuck
   * in native code would), then runs as usual. Only the worker's own JS thread can post it.
   */
  | { readonly kind: 'hang'; readonly id: number; readonly ms: number };

/**
 * Shared with a compute thread through `workerData.control` (an Int32Array over a SharedArrayBuffer):
 * slot {@link CONTROL_ABANDONED} is set to 1 by the JS thread when the thread is abandoned (a run stuck past
 * `onnx.computeRunTimeoutMs`); the thread then exits as soon as it is back in JavaScript, before it takes any
 * other work. It is read with Atomics, so a thread blocked in a run sees it the moment the run returns.
 */
export const CONTROL_ABANDONED = 0;
export const CONTROL_SLOTS = 1;

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
