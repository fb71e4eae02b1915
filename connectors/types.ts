/** The connector types, in the order the CLI and the documentation list them (the registry's order). */
export const CONNECTOR_TYPES = ['yeastar-s', 'ipcortex', 'yeastar-p', 'voicenter', 'asterisk'] as const;
export type ConnectorType = (typeof CONNECTOR_TYPES)[number];
