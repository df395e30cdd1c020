import * as vscode from 'vscode';
import { redact, type Logger } from '../core/log';

/** The extension's one output channel, as the core's Logger. Every line is redacted. */
export function createLogChannel(): { channel: vscode.LogOutputChannel; logger: Logger } {
  const channel = vscode.window.createOutputChannel('OpenStack Troubleshooter', { log: true });
  const logger: Logger = {
    trace: (m) => channel.trace(redact(m)),
    info: (m) => channel.info(redact(m)),
    warn: (m) => channel.warn(redact(m)),
    error: (m) => channel.error(redact(m)),
  };
  return { channel, logger };
}
