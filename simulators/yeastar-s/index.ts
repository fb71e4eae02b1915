/**
 * A Yeastar S-Series PBX for tests and `callhouse simulate yeastar-s`: its API (login, heartbeat,
 * logout, recording download) on node:http, and a player that POSTs call reports to an ingest URL
 * as the PBX would.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PbxApi, type PbxApiOptions } from './api.js';
import { playFlows, type PlayOptions, type PlayResult } from './flows.js';

export { buildFlows, playFlows, FLOW_KINDS, FAILURE_REASONS } from './flows.js';
export type { PlayOptions, PlayResult, PlayedCall, SentReport } from './flows.js';

export interface SimulatorOptions extends PbxApiOptions {
  port?: number;
  host?: string;
  /** Seed of the played calls (playFlows may override it). */
  seed?: number;
}

export interface YeastarSSimulator {
  url: string;
  api: PbxApi;
  /** Plays call flows to an ingest URL (the seed defaults to the simulator's). */
  playFlows(opts: Omit<PlayOptions, 'seed'> & { seed?: number }): Promise<PlayResult>;
  close(): Promise<void>;
}

export async function startSimulator(opts: SimulatorOptions = {}): Promise<YeastarSSimulator> {
  const api = new PbxApi({
    ...opts,
    recordings: opts.recordings ?? {
      '20170901181806-1504261084.7-1001-1003-Internal.wav': demoWav(opts.seed ?? 1),
    },
  });
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://pbx');
    api.handle(req, res, url).catch(() => {
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', resolve));
  const { port, address } = server.address() as AddressInfo;
  return {
    url: `http://${address}:${port}`,
    api,
    playFlows: (p) => playFlows({ ...p, seed: p.seed ?? opts.seed ?? 1 }),
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((e) => (e ? reject(e) : resolve()));
      }),
  };
}

/** A short silent WAV (8 kHz, 8-bit mono) whose length depends on the seed. */
function demoWav(seed: number): Buffer {
  const samples = 800 + (seed % 800);
  const header = Buffer.alloc(44);
  header.write('RIFF', 0);
  header.writeUInt32LE(36 + samples, 4);
  header.write('WAVEfmt ', 8);
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20);
  header.writeUInt16LE(1, 22);
  header.writeUInt32LE(8000, 24);
  header.writeUInt32LE(8000, 28);
  header.writeUInt16LE(1, 32);
  header.writeUInt16LE(8, 34);
  header.write('data', 36);
  header.writeUInt32LE(samples, 40);
  return Buffer.concat([header, Buffer.alloc(samples, 0x80)]);
}
