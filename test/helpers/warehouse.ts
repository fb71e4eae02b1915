/** A warehouse for a test: the embedded engine (one data directory per worker process) or
 * CLICKHOUSE_URL, with a random database that is dropped afterwards. */
import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import { migrate } from '../../runtime/migrations.js';
import { openWarehouse, type Warehouse } from '../../runtime/warehouse.js';

export function testDataDir(): string {
  return resolve('.vitest-tmp', `worker-${process.pid}`);
}

export async function openTestWarehouse(
  opts: { migrate?: boolean } = {},
): Promise<Warehouse & { drop(): Promise<void> }> {
  const database = `t_${randomBytes(5).toString('hex')}`;
  const wh = await openWarehouse({
    url: process.env.CLICKHOUSE_URL,
    user: process.env.CLICKHOUSE_USER,
    password: process.env.CLICKHOUSE_PASSWORD,
    database,
    dataDir: testDataDir(),
  });
  if (opts.migrate !== false) await migrate(wh);
  return Object.assign(Object.create(wh) as Warehouse, wh, {
    drop: async () => {
      await wh.client.command({ query: `DROP DATABASE IF EXISTS ${database}` });
    },
  });
}
