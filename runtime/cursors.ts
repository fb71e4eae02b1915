/**
 * Poller cursors on the compacted `connector-state` topic: one message per connector id, the
 * latest wins. A cursor is written only after the batch it ends is acknowledged by Kafka.
 */
import type { Cursor } from '../connectors/core/contract.js';
import type { Bus, TopicNames } from './kafka.js';

export interface ConnectorState {
  connector_id: string;
  cursor: Cursor | null;
  updated_at: string;
  /** The window a backfill is walking (for resume), when one is in progress. */
  backfill?: { from: string; to: string; done_to: string } | null;
}

export class CursorStore {
  private cache: Map<string, ConnectorState> | undefined;
  constructor(
    private readonly bus: Bus,
    private readonly topics: TopicNames,
  ) {}

  async load(): Promise<Map<string, ConnectorState>> {
    const map = new Map<string, ConnectorState>();
    for (const m of await this.bus.readAll(this.topics.connectorState)) {
      if (!m.key) continue;
      if (m.value.length === 0) map.delete(m.key);
      else map.set(m.key, JSON.parse(m.value.toString('utf8')) as ConnectorState);
    }
    this.cache = map;
    return map;
  }

  async get(connectorId: string): Promise<ConnectorState | undefined> {
    const map = this.cache ?? (await this.load());
    return map.get(connectorId);
  }

  async put(state: ConnectorState): Promise<void> {
    await this.bus.produce(this.topics.connectorState, [{ key: state.connector_id, value: JSON.stringify(state) }]);
    (this.cache ??= new Map()).set(state.connector_id, state);
  }
}
