// Numbers a suite measures inside the extension host (activation time, ...) and the suite entry reports.
// Each suite file is bundled on its own by esbuild, so the store lives on globalThis, not in a module.
const KEY = Symbol.for('openstack-troubleshooter.test-metrics');

type Store = Record<string, number>;

function store(): Store {
  const g = globalThis as unknown as Record<symbol, Store | undefined>;
  return (g[KEY] ??= {});
}

/** Records a measurement (e.g. `activationMs`) and prints it as `metric <name>: <value>`. */
export function recordMetric(name: string, value: number): void {
  store()[name] = value;
  console.log(`metric ${name}: ${value}`);
}

/** Everything recorded so far. */
export function metrics(): Readonly<Store> {
  return { ...store() };
}
