import { errorMessage, isCancelled, isTroubleshooterError } from '../core/errors';
import { redact, type Logger } from '../core/log';
import type { CliCommand, CliIo } from './command';
import { cliCommands } from './registry';
import { version as packageVersion } from '../../package.json';

const PROGRAM = 'openstack-troubleshooter';

function help(commands: CliCommand[]): string {
  const width = Math.max(...commands.map((c) => c.name.length), 8);
  return [
    `Usage: ${PROGRAM} <command> [options]`,
    '',
    'Troubleshoot OpenStack clouds: the same core as the VS Code extension.',
    '',
    'Commands:',
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    `Run "${PROGRAM} <command> --help" for a command's options. Global: --verbose logs every remote call to stderr.`,
  ].join('\n');
}

export async function main(argv: string[], io?: Partial<CliIo>): Promise<number> {
  const verbose = argv.includes('--verbose');
  const words = argv.filter((a) => a !== '--verbose');
  const stderrLogger: Logger = {
    trace: () => {},
    info: (m) => verbose && process.stderr.write(`${redact(m)}\n`),
    warn: (m) => verbose && process.stderr.write(`${redact(m)}\n`),
    error: (m) => process.stderr.write(`${redact(m)}\n`),
  };
  const ctrl = new AbortController();
  const full: CliIo = {
    out: (t) => process.stdout.write(t.endsWith('\n') ? t : `${t}\n`),
    err: (t) => process.stderr.write(t.endsWith('\n') ? t : `${t}\n`),
    log: stderrLogger,
    signal: ctrl.signal,
    env: process.env,
    cwd: process.cwd(),
    ...io,
  };
  const commands = cliCommands();
  if (words.length === 0 || words[0] === '--help' || words[0] === '-h' || words[0] === 'help') {
    full.out(help(commands));
    return words.length === 0 ? 2 : 0;
  }
  if (words[0] === '--version') {
    full.out(packageVersion);
    return 0;
  }
  // Longest match first: "logs correlate" before "logs".
  const sorted = [...commands].sort((a, b) => b.name.split(' ').length - a.name.split(' ').length);
  const cmd = sorted.find((c) => c.name.split(' ').every((w, i) => words[i] === w));
  if (!cmd) {
    full.err(`Unknown command "${words.join(' ')}". Run "${PROGRAM} --help".`);
    return 2;
  }
  const rest = words.slice(cmd.name.split(' ').length);
  if (rest.includes('--help') || rest.includes('-h')) {
    full.out(`Usage: ${PROGRAM} ${cmd.usage}\n\n${cmd.summary}`);
    return 0;
  }
  const onSig = () => ctrl.abort();
  process.once('SIGINT', onSig);
  try {
    return await cmd.run(rest, full);
  } catch (e) {
    if (isCancelled(e)) {
      full.err('Cancelled.');
      return 130;
    }
    full.err(`Error: ${redact(errorMessage(e))}`);
    return isTroubleshooterError(e, 'InvalidInput') ? 2 : 3;
  } finally {
    process.removeListener('SIGINT', onSig);
  }
}

/** Exits once stdout and stderr are flushed: into a pipe they are asynchronous, and exit() would cut a long --json at 64 KiB. */
function exitWhenFlushed(code: number): void {
  process.stdout.write('', () => process.stderr.write('', () => process.exit(code)));
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => exitWhenFlushed(code),
    (e) => {
      process.stderr.write(`Error: ${redact(errorMessage(e))}\n`);
      exitWhenFlushed(3);
    },
  );
}
