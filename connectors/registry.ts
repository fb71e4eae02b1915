/** Every connector type callhouse knows. Adding a vendor is one line here. */
import type { BaseConnectorConfig } from './core/config.js';
import type { ConnectorSpec } from './core/contract.js';
import asterisk from './asterisk/index.js';
import ipcortex from './ipcortex/index.js';
import voicenter from './voicenter/index.js';
import yeastarP from './yeastar-p/index.js';
import yeastarS from './yeastar-s/index.js';

export const CONNECTORS: readonly ConnectorSpec<BaseConnectorConfig>[] = [
  yeastarS,
  ipcortex,
  yeastarP,
  voicenter,
  asterisk,
] as unknown as ConnectorSpec<BaseConnectorConfig>[];

export function connectorSpec(type: string): ConnectorSpec<BaseConnectorConfig> | undefined {
  return CONNECTORS.find((c) => c.type === type);
}
