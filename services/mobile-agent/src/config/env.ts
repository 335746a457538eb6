/**
 * Environment variables the agent reads, all optional; a bad value is reported through `warn` and
 * ignored (the config file or the default applies). See docs/mobile-agent.md for the table.
 */
export interface AgentEnv {
  configFile?: string;
  gatewayUrl?: string;
  modelRepo?: string;
  apiPort?: number;
  linkPreset?: string;
  logLevel?: string;
}

export function readAgentEnv(env: NodeJS.ProcessEnv, warn: (msg: string) => void): AgentEnv {
  const out: AgentEnv = {};
  const str = (name: string): string | undefined => {
    const v = env[name];
    return v === undefined || v.trim() === '' ? undefined : v.trim();
  };
  out.configFile = str('BOTTLENET_AGENT_CONFIG');
  out.gatewayUrl = str('BOTTLENET_GATEWAY_URL');
  out.modelRepo = str('BOTTLENET_MODEL_REPO');
  out.linkPreset = str('BOTTLENET_LINK');
  out.logLevel = str('LOG_LEVEL');
  const port = str('BOTTLENET_AGENT_PORT');
  if (port !== undefined) {
    const n = Number(port);
    if (Number.isInteger(n) && n >= 0 && n <= 65535) out.apiPort = n;
    else warn(`BOTTLENET_AGENT_PORT=${port} is not a port number; ignored`);
  }
  return out;
}

/** Overlays the environment on a parsed config file (env wins), leaving validation to compile. */
export function applyEnv(file: Record<string, unknown>, env: AgentEnv): Record<string, unknown> {
  const out: Record<string, unknown> = { ...file };
  if (env.gatewayUrl !== undefined) out['gatewayUrl'] = env.gatewayUrl;
  if (env.modelRepo !== undefined) out['modelRepo'] = env.modelRepo;
  if (env.logLevel !== undefined) out['logLevel'] = env.logLevel;
  if (env.apiPort !== undefined)
    out['api'] = { ...(out['api'] as object | undefined), port: env.apiPort };
  if (env.linkPreset !== undefined)
    out['link'] = { ...(out['link'] as object | undefined), preset: env.linkPreset, emulate: true };
  return out;
}
