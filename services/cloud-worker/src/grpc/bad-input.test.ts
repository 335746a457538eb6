// Every kind of bad input gets its own gRPC status, a message naming the problem and its error type;
// the worker keeps serving.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { status } from '@grpc/grpc-js';
import { encodeJpegImage } from '@bottlenet/bottleneck-codec';
import { ERROR_TYPE_METADATA_KEY, HealthCheckResponse_ServingStatus } from '@bottlenet/protocol';
import {
  errorTrailer,
  startTestWorker,
  tinyFrames,
  type TestWorker,
  type WorkerClient,
} from '../testing/index.js';

let frames: Uint8Array[];

before(async () => {
  ({ frames } = await tinyFrames(2));
});

describe('bad input', () => {
  let w: TestWorker;
  before(async () => {
    w = await startTestWorker();
  });
  after(async () => {
    await w.stop();
  });

  test('every kind of bad input gets its own status and a message naming the problem', async () => {
    const frame = (f: Uint8Array) => ({
      $case: 'featureFrame' as const,
      featureFrame: Buffer.from(f),
    });
    const cases: [string, Parameters<WorkerClient['infer']>[0], status, RegExp, string][] = [
      [
        'unknown model',
        { model: 'nope', partitionId: 'rb1', payload: frame(frames[0]!) },
        status.NOT_FOUND,
        /unknown model "nope".*fmnist-tiny/,
        'model_unknown',
      ],
      [
        'unknown version',
        { model: 'fmnist-tiny', version: '9', partitionId: 'rb1', payload: frame(frames[0]!) },
        status.NOT_FOUND,
        /no version "9".*serving 1/,
        'version_unknown',
      ],
      [
        'unknown partition',
        { model: 'fmnist-tiny', partitionId: 'rb7', payload: frame(frames[0]!) },
        status.NOT_FOUND,
        /no partition "rb7".*rb1, rb3, cloud/,
        'partition_unknown',
      ],
      [
        'no model',
        { partitionId: 'rb1', payload: frame(frames[0]!) },
        status.INVALID_ARGUMENT,
        /names no model/,
        'model_missing',
      ],
      [
        'no partition',
        { model: 'fmnist-tiny', payload: frame(frames[0]!) },
        status.INVALID_ARGUMENT,
        /no partition_id/,
        'partition_missing',
      ],
      [
        'no payload',
        { model: 'fmnist-tiny', partitionId: 'rb1' },
        status.INVALID_ARGUMENT,
        /takes a feature_frame, the request carries no payload/,
        'payload_kind',
      ],
      [
        'image to a tail',
        {
          model: 'fmnist-tiny',
          partitionId: 'rb1',
          payload: { $case: 'inputImage', inputImage: Buffer.from([1, 2, 3]) },
        },
        status.INVALID_ARGUMENT,
        /takes a feature_frame/,
        'payload_kind',
      ],
      [
        'frame to cloud',
        { model: 'fmnist-tiny', partitionId: 'cloud', payload: frame(frames[0]!) },
        status.INVALID_ARGUMENT,
        /takes an input_image/,
        'payload_kind',
      ],
      [
        'garbage frame',
        {
          model: 'fmnist-tiny',
          partitionId: 'rb1',
          payload: frame(Buffer.from('hello world, not a frame')),
        },
        status.INVALID_ARGUMENT,
        /frame starts with 0x6865/,
        'frame_bad_magic',
      ],
      [
        'truncated frame',
        {
          model: 'fmnist-tiny',
          partitionId: 'rb1',
          payload: frame(frames[0]!.subarray(0, frames[0]!.length - 5)),
        },
        status.INVALID_ARGUMENT,
        /./,
        '',
      ],
      [
        'wrong shape',
        { model: 'fmnist-tiny', partitionId: 'rb3', payload: frame(frames[0]!) },
        status.INVALID_ARGUMENT,
        /frame shape 1x14x14 does not match the expected 2x7x7/,
        'frame_shape_mismatch',
      ],
      [
        'bad image',
        {
          model: 'fmnist-tiny',
          partitionId: 'cloud',
          payload: { $case: 'inputImage', inputImage: Buffer.from('not a jpeg at all') },
        },
        status.INVALID_ARGUMENT,
        /./,
        'image_bad_input',
      ],
      [
        'image of the wrong size',
        {
          model: 'fmnist-tiny',
          partitionId: 'cloud',
          payload: {
            $case: 'inputImage',
            inputImage: Buffer.from(encodeJpegImage(new Uint8Array(32 * 32), 32, 32, 1, 90)),
          },
        },
        status.INVALID_ARGUMENT,
        /32x32, the model takes 28x28/,
        'image_size_mismatch',
      ],
    ];
    for (const [name, req, code, message, type] of cases) {
      const e = await w.client.inferError(req);
      assert.equal(e.code, code, `${name}: got ${e.code} ${e.details}`);
      assert.match(e.details, message, name);
      if (type !== '') assert.equal(errorTrailer(e, ERROR_TYPE_METADATA_KEY), type, name);
    }
    // Still serving after all of that.
    assert.equal((await w.client.check()).status, HealthCheckResponse_ServingStatus.SERVING);
  });

  test('an oversized message is refused by grpc-js with RESOURCE_EXHAUSTED', async () => {
    const big = Buffer.alloc(w.worker.config.grpc.maxReceiveMessageBytes + 1024, 7);
    const e = await w.client.inferError({
      model: 'fmnist-tiny',
      partitionId: 'rb1',
      payload: { $case: 'featureFrame', featureFrame: big },
    });
    assert.equal(e.code, status.RESOURCE_EXHAUSTED);
    assert.match(e.details, /larger than max/i);
  });
});
