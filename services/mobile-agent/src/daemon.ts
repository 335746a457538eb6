import { readFileSync } from 'node:fs';
import { pino, type Logger } from 'pino';
import { Code, MeshError } from '@bottlenet/errors';
import {
  applyEnv,
  compileAgentConfig,
  readAgentEnv,
  type CompiledAgentConfig,
} from './config/index.js';
import { MobileAgent } from './agent/agent.js';
import { createHttpApi } from './api/index.js';
import {
  OnnxModelRuntime,
  SlowedRuntime,
  createAgentCodec,
  type ImageInput,
  type ModelRuntime,
} from './runtime/index.js';

/** A running agent: the core, its local API's address, and how to stop both. */
export interface RunningAgent {
  readonly agent: MobileAgent;
  readonly url: string;
  readonly config: CompiledAgentConfig;
  close(): Promise<void>;
}

/** Reads a JSON config file; a missing or malformed file is `InvalidArgument` naming the path. */
export function readConfigFile(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new MeshError(
      Code.InvalidArgument,
      `cannot read config file ${path}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`,
      { type: 'bad_config', cause: e },
    );
  }
  try {
    const v: unknown = JSON.parse(text);
    if (typeof v !== 'object' || v === null || Array.isArray(v))
      throw new Error('not a JSON object');
    return v as Record<string, unknown>;
  } catch (e) {
    throw new MeshError(
      Code.InvalidArgument,
      `config file ${path} is not a JSON object: ${(e as Error).message}`,
      { type: 'bad_config', cause: e },
    );
  }
}

/** Config from (in order of precedence) the environment, `overrides`, the file named by BOTTLENET_AGENT_CONFIG or `file`. */
export function loadAgentConfig(options: {
  file?: string | undefined;
  overrides?: Record<string, unknown>;
  env?: NodeJS.ProcessEnv;
  warn?: (m: string) => void;
}): CompiledAgentConfig {
  const env = readAgentEnv(options.env ?? process.env, options.warn ?? (() => undefined));
  const file = options.file ?? env.configFile;
  const base = file === undefined ? {} : readConfigFile(file);
  return compileAgentConfig(applyEnv({ ...base, ...options.overrides }, env));
}

/** Opens the model repository, calibrates, plans once and serves the local API. */
export async function startAgent(
  config: CompiledAgentConfig,
  options: { logger?: Logger; samples?: readonly ImageInput[] } = {},
): Promise<RunningAgent> {
  const logger =
    options.logger ??
    pino({ level: config.logLevel, base: { service: 'mobile-agent', device: config.deviceId } });
  const onnx = await OnnxModelRuntime.open(config.modelRepo, {
    executionProviders: config.executionProviders,
    intraOpThreads: config.intraOpThreads,
  });
  const runtime: ModelRuntime =
    config.emulation.deviceSlowdown > 1
      ? new SlowedRuntime(onnx, config.emulation.deviceSlowdown)
      : onnx;
  if (config.emulation.deviceSlowdown > 1)
    logger.warn(
      { factor: config.emulation.deviceSlowdown },
      'emulating a slower device: session runs are stretched',
    );
  const agent = new MobileAgent({
    config,
    runtime,
    codec: createAgentCodec(),
    logger,
  });
  try {
    await agent.start(options.samples);
  } catch (e) {
    await runtime.close();
    throw e;
  }
  const app = createHttpApi(agent, { maxImageBytes: config.api.maxImageBytes, logger });
  const url = await app.listen({ host: config.api.host, port: config.api.port });
  logger.info({ url, candidate: agent.status()['candidate'] }, 'agent ready');
  return {
    agent,
    url,
    config,
    async close() {
      // A keep-alive connection answered after close() began would hold it open for its keep-alive
      // timeout: reap connections as they go idle until the listener has closed.
      const reaper = setInterval(() => app.server.closeIdleConnections(), 50);
      await app.close();
      clearInterval(reaper);
      await agent.stop();
      await runtime.close();
    },
  };
}
