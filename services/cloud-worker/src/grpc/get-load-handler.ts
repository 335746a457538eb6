import type { sendUnaryData, ServerUnaryCall } from '@grpc/grpc-js';
import type { GetLoadRequest, LoadReport } from '@bottlenet/protocol';
import type { LoadReporter } from '../load/load-reporter.js';

/** GetLoad: the worker's full load report; never fails while the process is up. */
export function getLoadHandler(reporter: LoadReporter) {
  return (
    _call: ServerUnaryCall<GetLoadRequest, LoadReport>,
    callback: sendUnaryData<LoadReport>,
  ): void => {
    callback(null, reporter.report());
  };
}
