import { pino } from 'pino';
import { Catalogue } from '../catalogue/catalogue.js';
import { compileGatewayConfig } from '../config/compile.js';
import { createGateway } from '../gateway.js';

/** The OpenAPI document the gateway serves at /openapi.json, built without any network. */
export async function openApiDocument(): Promise<unknown> {
  const gw = await createGateway({
    config: compileGatewayConfig({
      redis: { url: 'redis://127.0.0.1:1' },
      apiKeys: [{ name: 'doc', key: 'x'.repeat(16) }],
    }),
    logger: pino({ level: 'silent' }),
    catalogue: new Catalogue([]),
  });
  await gw.app.ready();
  const doc = gw.app.swagger();
  await gw.close();
  return doc;
}

/** The checked-in file's text for a document. */
export function formatOpenApi(doc: unknown): string {
  return `${JSON.stringify(doc, null, 2)}\n`;
}
