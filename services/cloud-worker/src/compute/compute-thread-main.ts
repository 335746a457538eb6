// Entry of a compute thread (node:worker_threads): owns onnxruntime sessions and runs them, so that a
// session run (synchronous native code in onnxruntime-node) never blocks the worker's JS thread, which
// keeps reading, decoding and answering gRPC calls meanwhile. Started by ComputeThread.
import { parentPort, workerData } from 'node:worker_threads';
import { InferenceSession, Tensor } from 'onnxruntime-node';
import { CONTROL_ABANDONED, type FromThread, type ToThread } from './messages.js';

interface ThreadSession {
  readonly session: InferenceSession;
  readonly inputName: string;
  readonly outputName: string;
  readonly shape: readonly number[];
  readonly sampleSize: number;
  /** View of the shared batch input the JS thread fills. */
  readonly shared: Float32Array;
  /** One private input buffer and tensor per batch size (onnxruntime-node does not take shared memory). */
  readonly tensors: Map<number, { data: Float32Array; tensor: Tensor }>;
}

const port = parentPort;
if (port === null) throw new Error('compute-thread-main must run in a worker thread');
const sessions = new Map<number, ThreadSession>();
let nextHandle = 1;

const reply = (m: FromThread): void => port.postMessage(m);
const control = (workerData as { control: SharedArrayBuffer } | undefined)?.control;
const controlView = control === undefined ? undefined : new Int32Array(control);

/**
 * An abandoned thread (its run outlived onnx.computeRunTimeoutMs; a replacement took its work) exits the
 * moment it is back in JavaScript: exiting here, between native calls, is safe, unlike being terminated
 * from outside in the middle of a session run.
 */
function exitIfAbandoned(): void {
  if (controlView !== undefined && Atomics.load(controlView, CONTROL_ABANDONED) === 1)
    process.exit(0);
}

/** Test hook (see the `hang` message): how long the next run blocks the thread first. */
let hangAtNextRunMs = 0;

function blockFor(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    // Busy: the thread must not return to its event loop, as in a native call that does not return.
  }
}

/** Test hook (see the `crash` message): how to die when the next run arrives. */
let crashAtNextRun: 'exit' | 'throw' | undefined;

function crash(how: 'exit' | 'throw'): void {
  if (how === 'exit') process.exit(70);
  // Outside handle()'s try/catch, so that it is uncaught.
  setImmediate(() => {
    throw new Error('crash requested by a test');
  });
}

async function handle(m: ToThread): Promise<void> {
  exitIfAbandoned();
  try {
    switch (m.kind) {
      case 'open': {
        const session = await InferenceSession.create(m.path, {
          executionProviders: ['cpu'],
          intraOpNumThreads: m.options.intraOpNumThreads,
          interOpNumThreads: m.options.interOpNumThreads,
          executionMode: 'sequential',
          graphOptimizationLevel: 'all',
        });
        const sampleSize = m.shape.reduce((a, b) => a * b, 1);
        const handle = nextHandle++;
        sessions.set(handle, {
          session,
          inputName: m.inputName,
          outputName: m.outputName,
          shape: m.shape,
          sampleSize,
          shared: new Float32Array(m.input),
          tensors: new Map(),
        });
        reply({ kind: 'opened', id: m.id, handle });
        return;
      }
      case 'run': {
        if (crashAtNextRun !== undefined) {
          crash(crashAtNextRun);
          return;
        }
        const s = sessions.get(m.handle);
        if (s === undefined) throw new Error(`no session ${m.handle} in this compute thread`);
        let t = s.tensors.get(m.n);
        if (t === undefined) {
          const data = new Float32Array(m.n * s.sampleSize);
          t = { data, tensor: new Tensor('float32', data, [m.n, ...s.shape]) };
          s.tensors.set(m.n, t);
        }
        t.data.set(s.shared.subarray(0, m.n * s.sampleSize));
        if (hangAtNextRunMs > 0) {
          blockFor(hangAtNextRunMs);
          hangAtNextRunMs = 0;
        }
        const t0 = performance.now();
        const out = await s.session.run({ [s.inputName]: t.tensor });
        const computeMs = performance.now() - t0;
        exitIfAbandoned();
        const logits = out[s.outputName]?.data;
        if (!(logits instanceof Float32Array))
          throw new Error(`output "${s.outputName}" is missing or not float32`);
        reply({ kind: 'done', id: m.id, logits, computeMs });
        return;
      }
      case 'release': {
        const s = sessions.get(m.handle);
        sessions.delete(m.handle);
        await s?.session.release();
        reply({ kind: 'released', id: m.id });
        return;
      }
      case 'crash': {
        if (m.atNextRun) crashAtNextRun = m.how;
        else crash(m.how);
        return;
      }
      case 'hang': {
        hangAtNextRunMs = m.ms;
        return;
      }
    }
  } catch (e) {
    reply({ kind: 'failed', id: m.id, message: e instanceof Error ? e.message : String(e) });
  }
}

port.on('message', (m: ToThread) => void handle(m));
