import { describe, expect, it } from 'vitest';
import { firstRunError, portVariable } from './first-run.js';

const inUse = (port: number) =>
  Object.assign(new Error(`listen EADDRINUSE: address already in use :::${port}`), {
    code: 'EADDRINUSE',
    syscall: 'listen',
    port,
  });

describe('first-run errors', () => {
  it('name the variable that moves a listener, from its default or its configured port', () => {
    expect(portVariable(8080, {})).toBe('CALLHOUSE_HTTP_PORT');
    expect(portVariable(8081, {})).toBe('CALLHOUSE_ADMIN_PORT');
    expect(portVariable(9000, { CALLHOUSE_ADMIN_PORT: '9000' })).toBe('CALLHOUSE_ADMIN_PORT');
    expect(portVariable(9000, {})).toBeUndefined();
  });

  it('say a port is in use, and how to move it, in one line', () => {
    expect(firstRunError(inUse(8081), {})?.message).toBe(
      'port 8081 is already in use by another program: stop it, or set CALLHOUSE_ADMIN_PORT to a free port',
    );
    expect(firstRunError(inUse(7000), {})?.message).toBe('port 7000 is already in use by another program: stop it');
    const denied = Object.assign(new Error('listen EACCES'), { code: 'EACCES', syscall: 'listen', port: 80 });
    expect(firstRunError(denied, { CALLHOUSE_HTTP_PORT: '80' })?.message).toBe(
      'port 80 needs privileges this user lacks: set CALLHOUSE_HTTP_PORT to a port above 1023',
    );
    expect(firstRunError(new Error('other'), {})).toBeUndefined();
  });
});
