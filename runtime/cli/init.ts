/**
 * `callhouse init [types…]`: a starting configuration with one connector of each named type,
 * taken from the connectors' own examples (the same ones the README shows), secrets left as
 * `${NAME}` for the environment to fill in.
 */
import { stringify } from 'yaml';
import { CONNECTORS, connectorSpec } from '../../connectors/registry.js';
import { CallhouseError } from '../errors.js';

export function initConfig(types: readonly string[]): string {
  const wanted = types.length ? types : CONNECTORS.map((c) => c.type);
  const unknown = wanted.filter((t) => !connectorSpec(t));
  if (unknown.length) {
    throw new CallhouseError(
      'USAGE',
      `unknown connector type ${unknown.map((t) => JSON.stringify(t)).join(', ')}: expected ${CONNECTORS.map((c) => c.type).join(', ')}`,
    );
  }
  const blocks = [...new Set(wanted)].map((type) => {
    const spec = connectorSpec(type)!;
    const id = String(spec.example.id);
    const how = [
      spec.poll ? `read from ${spec.example.base_url ?? spec.example.directory ?? 'the vendor'} on a schedule` : '',
      spec.ingest ? `POSTed to http://<this host>:8080/ingest/${type}/${id}?token=<token>` : '',
    ]
      .filter(Boolean)
      .join('; ');
    const yaml = stringify([spec.example], { lineWidth: 0 })
      .trimEnd()
      .split('\n')
      .map((l) => `  ${l}`)
      .join('\n');
    return `  # ${spec.title}: ${how}\n${yaml}`;
  });
  const body = `connectors:\n${blocks.join('\n\n')}\n`;
  const vars = [...new Set([...body.matchAll(/\$\{([A-Z0-9_]+)\}/g)].map((m) => m[1]!))];
  const header = [
    '# callhouse configuration, written by `callhouse init`. Adjust the ids, zones and addresses;',
    '# `callhouse start` reads this file (callhouse.yaml, or --config FILE). ${NAME} is replaced from',
    '# the environment, so secrets stay out of the file. The reference of every key is in README.md.',
    ...(vars.length ? [`# Set before starting: ${vars.join(', ')}`] : []),
    '',
  ];
  return `${header.join('\n')}${body}`;
}
