// @bottlenet/mobile-agent: the device daemon of the BottleNet mesh.
export { MobileAgent } from './agent/agent.js';
export type { ClassifyResult, AgentDeps } from './agent/agent.js';
export { startAgent, loadAgentConfig, readConfigFile } from './daemon.js';
export type { RunningAgent } from './daemon.js';
export { compileAgentConfig, AgentConfigSchema } from './config/index.js';
export type { AgentConfig, CompiledAgentConfig } from './config/index.js';
export { LINK_PRESETS, LinkEmulator, UplinkEstimator, resolveLinkProfile } from './link/index.js';
export type { LinkProfile } from './link/index.js';
export { requestEnergyMj, POWER_PROFILES, JetsonPower } from './energy/index.js';
export { SwitchingController } from './control/index.js';
export type { Decision } from './control/index.js';
export { createHttpApi, AgentMetrics } from './api/index.js';

// For tools (demo, benches, tests): the runtime pieces.
export {
  OnnxModelRuntime,
  SlowedRuntime,
  createAgentCodec,
  decodePnm,
  encodePnm,
  topK,
} from './runtime/index.js';
export type { ImageInput, ModelRuntime, ModelView, AgentCodec } from './runtime/index.js';
// Test and demo tooling: held-out data, and a real cloud tier as child processes.
export {
  loadFmnistTest,
  readSceneFile,
  ensureScenes,
  startMesh,
  splitCpus,
  spawnProc,
  freePort,
  orphanSafeCommand,
  buildLoadBodies,
  startLoad,
  loadHeldOut,
  measureCandidate,
  percentile,
} from './testing/index.js';
export type {
  LabelledImages,
  Mesh,
  MeshOptions,
  CpuSplit,
  Proc,
  LoadGenerator,
  CandidateStats,
  MeasureOptions,
} from './testing/index.js';
