import type { CrashKind } from '../compute/index.js';
import type { CloudWorker } from '../worker.js';

/**
 * Kills a compute thread of a running worker the way a fault would: `exit` (process.exit inside the
 * thread), `throw` (an uncaught error in it) or `terminate` (Worker.terminate() from the JS thread, as a
 * bug would). `atNextRun`: when the next batch is sent to it, so that batch is in flight when it dies.
 * For tests of the restart path; throws when the worker runs no compute thread `index`.
 */
export function crashComputeThread(
  worker: CloudWorker,
  how: CrashKind,
  options: { index?: number; atNextRun?: boolean } = {},
): void {
  const index = options.index ?? 0;
  const thread = worker.host.compute?.thread(index);
  if (thread === undefined)
    throw new Error(`the worker has no compute thread ${index} (onnx.computeThreads)`);
  thread.crashForTest(how, options.atNextRun ?? false);
}

/**
 * Makes the next session run of a compute thread block it for `ms` (a synchronous loop, as a run stuck in
 * native code would): for tests of the run watchdog (`onnx.computeRunTimeoutMs`).
 */
export function hangComputeThread(
  worker: CloudWorker,
  ms: number,
  options: { index?: number } = {},
): void {
  const index = options.index ?? 0;
  const thread = worker.host.compute?.thread(index);
  if (thread === undefined)
    throw new Error(`the worker has no compute thread ${index} (onnx.computeThreads)`);
  thread.hangForTest(ms);
}

/** `bottlenet_worker_compute_thread_restarts_total` summed over threads, for one `result`. */
export async function computeThreadRestarts(
  worker: CloudWorker,
  result: 'ok' | 'error',
): Promise<number> {
  const m = await worker.metrics.computeThreadRestarts.get();
  return m.values.filter((v) => v.labels['result'] === result).reduce((sum, v) => sum + v.value, 0);
}
