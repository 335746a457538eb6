// The daemon entry (`node dist/main.js`): config from BOTTLENET_AGENT_CONFIG and the environment.
import { MeshError } from '@bottlenet/errors';
import { loadAgentConfig, startAgent } from './daemon.js';

try {
  const running = await startAgent(
    loadAgentConfig({ warn: (m) => process.stderr.write(`warning: ${m}\n`) }),
  );
  const stop = (): void => {
    void running.close().then(() => process.exit(0));
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
} catch (e) {
  process.stderr.write(`mobile-agent: ${e instanceof MeshError ? e.message : String(e)}\n`);
  process.exit(2);
}
