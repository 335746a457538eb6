import { Worker } from 'node:worker_threads';
import { Code, MeshError } from '@bottlenet/errors';
import type { FromThread, ThreadSessionOptions, ToThread } from './messages.js';

/** The thread's entry next to this file: `.ts` when running from sources (tsx), `.js` from dist. */
const FROM_SOURCE = import.meta.url.endsWith('.ts');
const ENTRY = new URL(
  FROM_SOURCE ? './compute-thread-main.ts' : './compute-thread-main.js',
  import.meta.url,
);

/**
 * Node 20 does not apply the parent's `--import tsx` hooks to a worker's entry file, so from sources the
 * thread first registers tsx itself, then imports the TypeScript entry.
 */
function startThread(name: string): Worker {
  if (!FROM_SOURCE) return new Worker(ENTRY, { name });
  const bootstrap = `import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))}).then((tsx) => { tsx.register(); return import(${JSON.stringify(ENTRY.href)}); });`;
  return new Worker(bootstrap, { name, eval: true });
}

type Distribute<T> = T extends unknown ? Omit<T, 'id'> : never;
type Request = Distribute<ToThread>;

interface Waiter {
  readonly resolve: (m: FromThread) => void;
  readonly reject: (e: Error) => void;
}

/** What one run returns: the batch's logits and the session run's own duration inside the thread. */
export interface ThreadRunResult {
  readonly logits: Float32Array;
  readonly computeMs: number;
}

/**
 * One node:worker_threads thread that owns onnxruntime sessions and runs them off the worker's JS thread
 * (onnxruntime-node runs a session synchronously on the calling thread). Batch inputs travel through a
 * SharedArrayBuffer per session; logits come back in the reply message. If the thread dies, every pending
 * and later call fails with INTERNAL.
 */
export class ComputeThread {
  private readonly thread: Worker;
  private readonly waiters = new Map<number, Waiter>();
  private nextId = 1;
  private dead: Error | undefined;

  constructor(readonly name: string) {
    this.thread = startThread(name);
    // The gRPC server keeps the process alive; an idle compute thread must not.
    this.thread.unref();
    this.thread.on('message', (m: FromThread) => {
      const w = this.waiters.get(m.id);
      if (w === undefined) return;
      this.waiters.delete(m.id);
      if (m.kind === 'failed') w.reject(new Error(m.message));
      else w.resolve(m);
    });
    this.thread.on('error', (e) => this.fail(e));
    this.thread.on('exit', (code) =>
      this.fail(new Error(`compute thread ${name} exited with code ${code}`)),
    );
  }

  /** Opens `path` in the thread; resolves with the handle of the session. */
  async open(
    path: string,
    options: ThreadSessionOptions,
    io: {
      inputName: string;
      outputName: string;
      shape: readonly number[];
      input: SharedArrayBuffer;
    },
  ): Promise<number> {
    const m = await this.call({ kind: 'open', path, options, ...io });
    if (m.kind !== 'opened') throw new Error(`unexpected reply ${m.kind} to open`);
    return m.handle;
  }

  /** Runs the first `n` samples of the session's shared input. */
  async run(handle: number, n: number): Promise<ThreadRunResult> {
    const m = await this.call({ kind: 'run', handle, n });
    if (m.kind !== 'done') throw new Error(`unexpected reply ${m.kind} to run`);
    return { logits: m.logits, computeMs: m.computeMs };
  }

  async release(handle: number): Promise<void> {
    if (this.dead !== undefined) return;
    await this.call({ kind: 'release', handle });
  }

  /** Stops the thread (after every session was released). */
  async terminate(): Promise<void> {
    this.dead ??= new Error(`compute thread ${this.name} was stopped`);
    await this.thread.terminate();
  }

  private call(req: Request): Promise<FromThread> {
    if (this.dead !== undefined) return Promise.reject(this.dead);
    const id = this.nextId++;
    return new Promise<FromThread>((resolve, reject) => {
      this.waiters.set(id, { resolve, reject });
      this.thread.postMessage({ ...req, id });
    });
  }

  private fail(e: Error): void {
    if (this.dead === undefined) {
      this.dead = new MeshError(Code.Internal, `compute thread ${this.name} failed: ${e.message}`, {
        cause: e,
        type: 'compute_thread_failed',
      });
    }
    const waiters = [...this.waiters.values()];
    this.waiters.clear();
    for (const w of waiters) w.reject(this.dead);
  }
}
