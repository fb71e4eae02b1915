#!/usr/bin/env node
// `node bin/kafka-local.js fetch` fetches the pinned Kafka jars; `start [DATA_DIR] [--nodes 3]`
// runs one broker (or a cluster of three on loopback) in the foreground until Ctrl-C.
const { register } = await import('tsx/esm/api');
register();
const { fetchKafka, startLocalKafka } = await import('../runtime/kafka-local.ts');
const args = process.argv.slice(2);
const at = args.indexOf('--nodes');
const nodes = at >= 0 ? Number(args.splice(at, 2)[1]) : 1;
const [cmd = 'fetch', dir = process.env.CALLHOUSE_DATA_DIR ?? './var'] = args;
if (cmd === 'fetch') {
  console.log(fetchKafka((l) => console.log(l)));
} else if (cmd === 'start') {
  const k = await startLocalKafka({ dataDir: dir, nodes, log: (l) => console.log(l) });
  console.log(`KAFKA_BROKERS=${k.brokers}`);
  const stop = async () => { await k.stop(); process.exit(0); };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  setInterval(() => {}, 1 << 30);
} else {
  console.error('usage: kafka-local.js fetch | start [DATA_DIR] [--nodes N]');
  process.exit(2);
}
