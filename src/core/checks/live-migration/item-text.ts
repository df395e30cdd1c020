import { reasonOf, type Outcome } from '../gather';
import { skipped, type Finding } from '../types';
import type { ComputeHostFacts } from './facts';

/** Small text helpers the checklist items share. */

export function hostSkip(id: string, title: string, h: ComputeHostFacts | undefined, o: Outcome<unknown> | undefined, host: string): Finding {
  return skipped(id, title, `Skipped: ${reasonOf(o, h ? 'not gathered' : `no facts from "${host}"`)}`, [host]);
}

export function iso(epochSeconds: number): string {
  return new Date(epochSeconds * 1000).toISOString().replace('.000Z', 'Z');
}

export function capitalize(s: string): string {
  return s ? s[0].toUpperCase() + s.slice(1) : s;
}
