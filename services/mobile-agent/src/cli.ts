#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { Command, Option } from 'commander';
import { MeshError } from '@bottlenet/errors';
import { loadAgentConfig, startAgent } from './daemon.js';

const defaultAgent = process.env['BOTTLENET_AGENT_URL'] ?? 'http://127.0.0.1:7070';

async function call(url: string, init?: RequestInit): Promise<unknown> {
  let res: Response;
  try {
    res = await fetch(url, init);
  } catch (e) {
    throw new Error(
      `cannot reach the agent at ${url}: ${(e as Error).cause instanceof Error ? ((e as Error).cause as Error).message : (e as Error).message}`,
    );
  }
  const body: unknown = await res.json();
  if (!res.ok) {
    const b = body as { code?: string; message?: string };
    throw new Error(
      `agent answered ${res.status} ${b.code ?? ''}: ${b.message ?? JSON.stringify(body)}`,
    );
  }
  return body;
}

function print(v: unknown): void {
  process.stdout.write(`${JSON.stringify(v, null, 2)}\n`);
}

const program = new Command('bottlenet-agent').description(
  'BottleNet mobile agent: split inference between this device and the cloud',
);

program
  .command('run')
  .description('run the agent daemon (config: --config file, BOTTLENET_* environment)')
  .option('-c, --config <file>', 'JSON config file')
  .option('--model-repo <dir>', 'model repository folder')
  .option('--gateway <url>', 'gateway base URL')
  .addOption(new Option('--link <preset>', 'emulate an uplink').choices(['3g', '4g', 'wifi']))
  .option('--port <n>', 'local API port', (v) => Number(v))
  .action(
    async (o: {
      config?: string;
      modelRepo?: string;
      gateway?: string;
      link?: string;
      port?: number;
    }) => {
      const overrides: Record<string, unknown> = {};
      if (o.modelRepo !== undefined) overrides['modelRepo'] = o.modelRepo;
      if (o.gateway !== undefined) overrides['gatewayUrl'] = o.gateway;
      if (o.link !== undefined) overrides['link'] = { preset: o.link, emulate: true };
      if (o.port !== undefined) overrides['api'] = { port: o.port };
      const config = loadAgentConfig({
        file: o.config,
        overrides,
        warn: (m) => process.stderr.write(`warning: ${m}\n`),
      });
      const running = await startAgent(config);
      const stop = (): void => {
        void running.close().then(() => process.exit(0));
      };
      process.once('SIGTERM', stop);
      process.once('SIGINT', stop);
    },
  );

program
  .command('classify <image>')
  .description('classify an image (JPEG or binary PGM/PPM) through the running agent')
  .option('--agent <url>', 'agent API', defaultAgent)
  .option('-k, --top-k <n>', 'classes to show', '5')
  .action(async (image: string, o: { agent: string; topK: string }) => {
    const body = readFileSync(image);
    const type = body[0] === 0x50 ? 'image/x-portable-anymap' : 'image/jpeg';
    print(
      await call(`${o.agent}/v1/classify?topK=${o.topK}`, {
        method: 'POST',
        body,
        headers: { 'content-type': type },
      }),
    );
  });

program
  .command('plan')
  .description('show the current candidate, the last decision and the predictions')
  .option('--agent <url>', 'agent API', defaultAgent)
  .option('--refresh', 're-plan now')
  .action(async (o: { agent: string; refresh?: boolean }) => {
    print(await call(`${o.agent}/v1/plan`, o.refresh === true ? { method: 'POST' } : undefined));
  });

program
  .command('status')
  .description('show everything the agent knows: link, load, power, counts')
  .option('--agent <url>', 'agent API', defaultAgent)
  .action(async (o: { agent: string }) => {
    print(await call(`${o.agent}/v1/stats`));
  });

program.parseAsync().catch((e: unknown) => {
  process.stderr.write(
    `error: ${e instanceof MeshError ? e.message : e instanceof Error ? e.message : String(e)}\n`,
  );
  process.exit(1);
});
