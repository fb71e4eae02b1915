/**
 * Case-insensitive access to one Voicenter record. The Call Log API answers in PascalCase
 * (`CallerExtension`, although the request names it `Callerextension`), notifications use
 * lowercase/snake keys (`callerextension`) with a few exceptions (`OriginalIvrUniqueID`,
 * `DepartmentName`), and form-encoded notifications carry every value as a string.
 */
export type VoicenterItem = Record<string, unknown>;

export class ItemFields {
  private readonly byKey = new Map<string, unknown>();

  constructor(item: VoicenterItem) {
    for (const [key, value] of Object.entries(item)) {
      const k = key.toLowerCase();
      // Two spellings of one key: the first one that carries a value wins.
      if (!this.byKey.has(k) || isAbsent(this.byKey.get(k))) this.byKey.set(k, value);
    }
  }

  has(name: string): boolean {
    return !isAbsent(this.byKey.get(name.toLowerCase()));
  }

  /** The first present value among `names` (null, undefined and blank strings are absent). */
  get(...names: string[]): unknown {
    for (const name of names) {
      const v = this.byKey.get(name.toLowerCase());
      if (!isAbsent(v)) return v;
    }
    return undefined;
  }

  /** The first present value as trimmed text, '' when absent. */
  text(...names: string[]): string {
    const v = this.get(...names);
    if (v === undefined) return '';
    if (typeof v === 'string') return v.trim();
    if (typeof v === 'number' || typeof v === 'boolean') return String(v);
    return '';
  }

  /** A nested object (e.g. `CustomData`), which may also arrive as a JSON string. */
  object(name: string): ItemFields | undefined {
    let v = this.get(name);
    if (typeof v === 'string' && v.trim().startsWith('{')) {
      try {
        v = JSON.parse(v) as unknown;
      } catch {
        return undefined;
      }
    }
    return v && typeof v === 'object' && !Array.isArray(v) ? new ItemFields(v as VoicenterItem) : undefined;
  }
}

function isAbsent(v: unknown): boolean {
  return v === undefined || v === null || (typeof v === 'string' && v.trim() === '');
}
