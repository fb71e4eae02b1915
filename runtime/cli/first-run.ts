/**
 * What a new user meets first, said in one line with what to do about it: a port taken by another
 * program, a tool that is not installed. Anything else keeps its own message.
 */
import { CallhouseError } from '../errors.js';

interface SystemError {
  code?: string;
  syscall?: string;
  port?: number;
  path?: string;
}

const PORT_VARS: [string, number][] = [
  ['CALLHOUSE_HTTP_PORT', 8080],
  ['CALLHOUSE_ADMIN_PORT', 8081],
];

/** The variable that sets a listener's port, from the port it tried to take. */
export function portVariable(port: number, env: NodeJS.ProcessEnv = process.env): string | undefined {
  return PORT_VARS.find(([name, fallback]) => Number(env[name] ?? fallback) === port)?.[0];
}

/** A one-line, actionable CallhouseError for a known first-run failure, or undefined. */
export function firstRunError(e: unknown, env: NodeJS.ProcessEnv = process.env): CallhouseError | undefined {
  const err = (e ?? {}) as SystemError;
  if (err.code === 'EADDRINUSE' && typeof err.port === 'number') {
    const name = portVariable(err.port, env);
    return new CallhouseError(
      'INTERNAL',
      `port ${err.port} is already in use by another program: stop it${name ? `, or set ${name} to a free port` : ''}`,
      { cause: e },
    );
  }
  if (err.code === 'EACCES' && err.syscall === 'listen' && typeof err.port === 'number') {
    const name = portVariable(err.port, env);
    return new CallhouseError(
      'INTERNAL',
      `port ${err.port} needs privileges this user lacks${name ? `: set ${name} to a port above 1023` : ''}`,
      { cause: e },
    );
  }
  return undefined;
}
