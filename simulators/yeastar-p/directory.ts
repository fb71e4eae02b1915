/** The simulated PBX's fixed directory, and the seeded random source its data comes from. */
import { prng } from '../core/prng.js';
export { prng };

export interface Entity {
  id: number;
  number: string;
  name: string;
}

/** Names in several scripts, one with a comma and one with quotes: the CSV must carry them intact. */
export const EXTENSIONS: Entity[] = [
  { id: 1, number: '1001', name: 'Alice Martin' },
  { id: 2, number: '1002', name: '王伟' },
  { id: 3, number: '1003', name: 'דנה לוי' },
  { id: 4, number: '1004', name: 'Smith, John' },
  { id: 5, number: '1005', name: 'José "Pepe" García' },
  { id: 6, number: '1006', name: 'Chloé Dubois' },
];
export const QUEUES: Entity[] = [
  { id: 1, number: '6400', name: 'Sales' },
  { id: 2, number: '6401', name: '客服 Support' },
];
export const IVRS: Entity[] = [
  { id: 1, number: '6500', name: 'Main IVR' },
  { id: 2, number: '6501', name: 'Après-vente' },
];
export const RING_GROUPS: Entity[] = [
  { id: 1, number: '6300', name: 'Reception' },
  { id: 2, number: '6301', name: 'Warehouse, Dock 2' },
];
export const TRUNKS: (Entity & { dids: string[] })[] = [
  { id: 1, number: '', name: 'SIP-Trunk-1', dids: ['+4930123450', '+4930123451'] },
  { id: 2, number: '', name: 'PSTN-BRI', dids: ['+4930999000'] },
];

/** Entities named by a comma-separated ID list, or all of them without one. */
export function pick<T extends Entity>(all: T[], idList: string | null | undefined): T[] {
  if (!idList) return all;
  const ids = new Set(idList.split(',').map((s) => Number(s.trim())));
  return all.filter((e) => ids.has(e.id));
}

/** FNV-1a, to turn any text into a 32-bit seed. */
export function hash32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

export function intBetween(rand: () => number, lo: number, hi: number): number {
  return lo + Math.floor(rand() * (hi - lo + 1));
}
