import { idOf, isObj, num, obj, str, strOrNull } from './parse';
import type {
  Inventory,
  ResourceProvider,
} from './types';

/** Parsers of Placement's JSON (resource providers, inventories, usages) to ./types.ts. */

export function parseResourceProvider(v: unknown): ResourceProvider {
  const o = obj(v, 'resource provider');
  return {
    uuid: idOf(o, 'uuid', 'resource provider'),
    name: str(o, 'name') ?? '',
    generation: num(o, 'generation'),
    parentProviderUuid: strOrNull(o, 'parent_provider_uuid'),
    rootProviderUuid: str(o, 'root_provider_uuid'),
    raw: o,
  };
}

export function parseInventories(body: unknown): Record<string, Inventory> {
  const o = obj(body, 'inventories');
  const inv = obj(o.inventories, 'inventories');
  const out: Record<string, Inventory> = {};
  for (const [rc, x] of Object.entries(inv)) {
    if (!isObj(x)) continue;
    out[rc] = {
      total: num(x, 'total') ?? 0,
      reserved: num(x, 'reserved') ?? 0,
      minUnit: num(x, 'min_unit') ?? 1,
      maxUnit: num(x, 'max_unit') ?? num(x, 'total') ?? 0,
      stepSize: num(x, 'step_size') ?? 1,
      allocationRatio: num(x, 'allocation_ratio') ?? 1,
    };
  }
  return out;
}

export function parseUsages(body: unknown): Record<string, number> {
  const o = obj(body, 'usages');
  const u = obj(o.usages, 'usages');
  const out: Record<string, number> = {};
  for (const [rc, x] of Object.entries(u)) if (typeof x === 'number') out[rc] = x;
  return out;
}
