/** What each connector is doing, for `callhouse status`, GET /status and /metrics. */
import type { BaseConnectorConfig } from '../connectors/core/config.js';
import type { Cursor } from '../connectors/core/contract.js';
import { connectorSpec } from '../connectors/registry.js';

export type ConnectorRunState = 'idle' | 'running' | 'ok' | 'error' | 'stopped' | 'disabled' | 'not running';

export interface ConnectorStatus {
  id: string;
  type: string;
  tenant: string;
  mode: string;
  state: ConnectorRunState;
  last_success: string | null;
  last_error: string | null;
  last_error_code: string | null;
  last_error_at: string | null;
  cursor: Cursor | null;
  received: number;
  produced: number;
  errors: number;
  /** Something in the data an operator should look at (e.g. report headers not recognised), latest first. */
  notices: string[];
}

export class StatusBoard {
  private readonly map = new Map<string, ConnectorStatus>();

  /** A board with every configured connector: its mode (push, poll) from its declaration. */
  static of(connectors: BaseConnectorConfig[]): StatusBoard {
    const board = new StatusBoard();
    for (const c of connectors) {
      const spec = connectorSpec(c.type);
      const mode = [spec?.ingest ? 'push' : '', spec?.poll ? 'poll' : ''].filter(Boolean).join('+');
      board.register(c.id, c.type, c.tenant, mode, c.enabled);
    }
    return board;
  }

  register(id: string, type: string, tenant: string, mode: string, enabled: boolean): void {
    this.map.set(id, {
      id,
      type,
      tenant,
      mode,
      state: enabled ? 'idle' : 'disabled',
      last_success: null,
      last_error: null,
      last_error_code: null,
      last_error_at: null,
      cursor: null,
      received: 0,
      produced: 0,
      errors: 0,
      notices: [],
    });
  }

  get(id: string): ConnectorStatus | undefined {
    return this.map.get(id);
  }

  update(id: string, patch: Partial<ConnectorStatus>): void {
    const s = this.map.get(id);
    if (s) Object.assign(s, patch);
  }

  count(id: string, field: 'received' | 'produced' | 'errors', n = 1): void {
    const s = this.map.get(id);
    if (s) s[field] += n;
  }

  success(id: string): void {
    this.update(id, { last_success: new Date().toISOString() });
  }

  failure(id: string, code: string, message: string, stop: boolean): void {
    const s = this.map.get(id);
    if (!s) return;
    s.errors += 1;
    s.last_error = message;
    s.last_error_code = code;
    s.last_error_at = new Date().toISOString();
    s.state = stop ? 'stopped' : 'error';
  }

  /** Keeps a notice once (the latest few), so that a recurring condition shows as one line. */
  notice(id: string, text: string): void {
    const s = this.map.get(id);
    if (!s) return;
    s.notices = [text, ...s.notices.filter((n) => n !== text)].slice(0, 5);
  }

  all(): ConnectorStatus[] {
    return [...this.map.values()];
  }
}
