import grpc from '@grpc/grpc-js';
const def = {
  echo: {
    path: '/x.Echo/Echo',
    requestStream: false,
    responseStream: false,
    requestSerialize: (b) => b,
    requestDeserialize: (b) => b,
    responseSerialize: (b) => b,
    responseDeserialize: (b) => b,
  },
};
const server = new grpc.Server();
server.addService(def, { echo: (call, cb) => cb(null, call.request) });
const port = await new Promise((r) =>
  server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (_e, p) => r(p)),
);
const Client = grpc.makeGenericClientConstructor(def, 'Echo');
const c = new Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
const call = () =>
  new Promise((res, rej) => c.echo(Buffer.alloc(64), (e, r) => (e ? rej(e) : res(r))));
for (let round = 0; round < 4; round++) {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: 50 }, async () => {
      for (let i = 0; i < 40; i++) await call();
    }),
  );
  const cpu = process.cpuUsage(cpu0);
  console.log(
    'concurrent 50: calls/s',
    (2000 / ((performance.now() - t0) / 1000)).toFixed(0),
    'user us/call',
    (cpu.user / 2000).toFixed(0),
    'sys',
    (cpu.system / 2000).toFixed(0),
  );
}
c.close();
server.forceShutdown();
