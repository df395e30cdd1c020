import { main } from '../../src/cli/main';
import type { CliIo } from '../../src/cli/command';
import { MemoryLogger } from '../../src/core/log';

/** The CLI through main(), its output captured (each write one line), for tests. `io` overrides env, cwd, signal… */
export async function runCli(args: string[], io: Partial<CliIo> = {}): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const line = (t: string) => (t.endsWith('\n') ? t : `${t}\n`);
  const code = await main(args, {
    out: (t) => (out += line(t)),
    err: (t) => (err += line(t)),
    log: new MemoryLogger(),
    signal: new AbortController().signal,
    ...io,
  });
  return { code, out, err };
}
