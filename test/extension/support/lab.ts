import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * KEY=VALUE pairs of the lab's `.lab/env`, or undefined when the lab is not up. Suites are bundled one per file into
 * out/test/extension/suite/, so the repository root is four folders up from the running bundle.
 */
export function labEnv(): Record<string, string> | undefined {
  const file = join(__dirname, '..', '..', '..', '..', '.lab', 'env');
  if (!existsSync(file)) return undefined;
  const env: Record<string, string> = {};
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const m = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (m) env[m[1]] = m[2].replace(/^["']|["']$/g, '');
  }
  return env;
}

/** The lab's `.lab/env` for a suite that needs the lab; without it the suite is skipped, saying why. */
export function labEnvOrSkip(ctx: Mocha.Context): Record<string, string> {
  const env = labEnv();
  if (!env) {
    console.log('    (skipped: the lab is not up — .lab/env is missing)');
    ctx.skip();
  }
  return env!;
}

/** Runs a constant command on a lab host over OpenSSH; `stdin` goes to its standard input. 60 s deadline. */
export function sshOnLab(config: string, host: string, command: string, stdin?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const p = spawn('ssh', ['-F', config, host, command], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    const timer = setTimeout(() => p.kill(), 60_000);
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (err += d));
    p.on('error', reject);
    p.on('close', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(out);
      else reject(new Error(`ssh ${host} "${command}" failed (${code}): ${err.trim()}`));
    });
    p.stdin.end(stdin ?? '');
  });
}
