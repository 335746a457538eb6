import { InferenceSession } from 'onnxruntime-node';
import { Code, MeshError } from '@bottlenet/errors';
import type { ModelRepository, SessionTarget } from './model-repository.js';

/** Tensor names every ONNX file of a repository uses (docs/contracts-for-helpers.md). */
export const TENSOR_NAMES = { input: 'input', features: 'features', logits: 'logits' } as const;

export interface OpenSessionOptions {
  /**
   * onnxruntime execution providers in order of preference, e.g. `['cuda', 'cpu']`.
   * @default ['cpu']
   */
  executionProviders?: InferenceSession.SessionOptions['executionProviders'];
  /**
   * Threads inside one operator; 0 lets onnxruntime choose (all cores).
   * @default 1
   */
  intraOpNumThreads?: number;
  /** @default 1 */
  interOpNumThreads?: number;
  /** @default 'all' */
  graphOptimizationLevel?: InferenceSession.SessionOptions['graphOptimizationLevel'];
}

/** An onnxruntime session with the tensor names and the per-sample shapes its target must have. */
export interface OpenedSession {
  readonly session: InferenceSession;
  readonly target: SessionTarget;
  readonly inputName: string;
  readonly outputName: string;
  /** Expected input shape without the batch axis ([C,H,W] or [c',h',w']). */
  readonly inputShape: readonly number[];
  /** Expected output shape without the batch axis ([c',h',w'] or [classes]). */
  readonly outputShape: readonly number[];
}

export function describeTarget(target: SessionTarget): string {
  return target === 'full' ? 'full' : `${target.partition}/${target.part}`;
}

function expected(
  repo: ModelRepository,
  target: SessionTarget,
): Omit<OpenedSession, 'session' | 'target'> {
  const m = repo.manifest;
  const classes = [m.classes.length];
  if (target === 'full')
    return {
      inputName: TENSOR_NAMES.input,
      outputName: TENSOR_NAMES.logits,
      inputShape: m.input.shape,
      outputShape: classes,
    };
  const p = repo.partition(target.partition);
  return target.part === 'head'
    ? {
        inputName: TENSOR_NAMES.input,
        outputName: TENSOR_NAMES.features,
        inputShape: m.input.shape,
        outputShape: p.featureShape,
      }
    : {
        inputName: TENSOR_NAMES.features,
        outputName: TENSOR_NAMES.logits,
        inputShape: p.featureShape,
        outputShape: classes,
      };
}

/** Compares the model's declared shape (batch axis first, symbolic dims allowed) with the manifest's. */
function checkShape(
  session: InferenceSession,
  name: string,
  kind: 'input' | 'output',
  want: readonly number[],
): string | undefined {
  const meta = (kind === 'input' ? session.inputMetadata : session.outputMetadata).find(
    (v) => v.name === name,
  );
  if (meta === undefined || !meta.isTensor) return undefined;
  const dims = meta.shape.slice(1);
  if (dims.length !== want.length)
    return `${kind} "${name}" has shape [${meta.shape.join(',')}], the manifest implies [N,${want.join(',')}]`;
  for (let i = 0; i < want.length; i++) {
    const d = dims[i];
    if (typeof d === 'number' && d > 0 && d !== want[i]) {
      return `${kind} "${name}" has shape [${meta.shape.join(',')}], the manifest implies [N,${want.join(',')}]`;
    }
  }
  return undefined;
}

/**
 * Opens an onnxruntime-node session for the full network or one partition's head/tail, and checks its
 * tensor names and shapes against the manifest. Errors (MeshError): NOT_FOUND `partition_unknown`;
 * FAILED_PRECONDITION `session_create_failed` (onnxruntime could not load the file) or `model_mismatch`
 * (names or shapes differ from the manifest).
 */
export async function openSession(
  repo: ModelRepository,
  target: SessionTarget,
  options: OpenSessionOptions = {},
): Promise<OpenedSession> {
  const want = expected(repo, target);
  const path = repo.filePath(target);
  let session: InferenceSession;
  try {
    session = await InferenceSession.create(path, {
      executionProviders: options.executionProviders ?? ['cpu'],
      intraOpNumThreads: options.intraOpNumThreads ?? 1,
      interOpNumThreads: options.interOpNumThreads ?? 1,
      graphOptimizationLevel: options.graphOptimizationLevel ?? 'all',
    });
  } catch (e) {
    throw new MeshError(
      Code.FailedPrecondition,
      `cannot open ${describeTarget(target)} of ${repo.manifest.name} (${path}): ${(e as Error).message}`,
      {
        type: 'session_create_failed',
        cause: e,
      },
    );
  }
  const problems: string[] = [];
  if (!session.inputNames.includes(want.inputName))
    problems.push(`no input "${want.inputName}" (inputs: ${session.inputNames.join(', ')})`);
  if (!session.outputNames.includes(want.outputName))
    problems.push(`no output "${want.outputName}" (outputs: ${session.outputNames.join(', ')})`);
  if (problems.length === 0) {
    for (const p of [
      checkShape(session, want.inputName, 'input', want.inputShape),
      checkShape(session, want.outputName, 'output', want.outputShape),
    ]) {
      if (p !== undefined) problems.push(p);
    }
  }
  if (problems.length > 0) {
    await session.release();
    throw new MeshError(
      Code.FailedPrecondition,
      `${describeTarget(target)} of ${repo.manifest.name} (${path}) does not match the manifest: ${problems.join('; ')}`,
      {
        type: 'model_mismatch',
      },
    );
  }
  return Object.freeze({ session, target, ...want });
}
