import { describe, expect, it } from 'vitest';
import { CallhouseError } from './errors.js';
import { replicationFor } from './kafka.js';

describe('replication of new topics', () => {
  it('follows the cluster size when nothing is configured: three replicas at most, two of three for a write', () => {
    expect(replicationFor({}, 1)).toEqual({ replicationFactor: 1, minInsyncReplicas: 1 });
    expect(replicationFor({}, 2)).toEqual({ replicationFactor: 2, minInsyncReplicas: 1 });
    expect(replicationFor({}, 3)).toEqual({ replicationFactor: 3, minInsyncReplicas: 2 });
    expect(replicationFor({}, 7)).toEqual({ replicationFactor: 3, minInsyncReplicas: 2 });
  });

  it('takes what is configured, and derives the in-sync minimum from a configured factor', () => {
    expect(replicationFor({ replicationFactor: 5 }, 7)).toEqual({ replicationFactor: 5, minInsyncReplicas: 2 });
    expect(replicationFor({ replicationFactor: 2, minInsyncReplicas: 2 }, 3)).toEqual({
      replicationFactor: 2,
      minInsyncReplicas: 2,
    });
    expect(replicationFor({ minInsyncReplicas: 3 }, 5)).toEqual({ replicationFactor: 3, minInsyncReplicas: 3 });
  });

  it('refuses an in-sync minimum above the factor (no write could ever be acknowledged)', () => {
    expect(() => replicationFor({ minInsyncReplicas: 2 }, 1)).toThrow(CallhouseError);
  });
});
