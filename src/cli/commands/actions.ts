import type { CliCommand } from '../command';
import { COMMON_USAGE, parseCommon, printList, table, toJson, withCloud } from './openstack-common';

/**
 * `actions <server> [request-id]`: the instance actions of a server (request ids to grep in the logs); with a
 * request id, that action's events (result, host, traceback for admins).
 */
export const actionsCommand: CliCommand = {
  name: 'actions',
  summary: 'List the instance actions of a server, or the events of one action (by request id).',
  usage: `actions <server name or UUID> [request-id] ${COMMON_USAGE}`,
  async run(args, io) {
    const o = parseCommon(args);
    const [server, requestId, extra] = o.positional;
    if (!server || extra !== undefined) {
      io.err(`Usage: openstack-troubleshooter ${this.usage}`);
      return 2;
    }
    return withCloud(io, o, async (c) => {
      const s = (await c.compute.findServer(server, { allProjects: o.allProjects, signal: io.signal })).data;
      if (!requestId) {
        const { data } = await c.compute.listInstanceActions(s.id, { signal: io.signal });
        printList(
          io,
          o,
          data,
          ['Request ID', 'Action', 'Start Time', 'Message', 'User ID'],
          (a) => [a.requestId, a.action, a.startTime ?? '', a.message ?? '', a.userId ?? ''],
          `No actions recorded for server "${s.name}".`,
        );
        return 0;
      }
      const { data: action } = await c.compute.getInstanceAction(s.id, requestId, { signal: io.signal });
      if (o.json) {
        io.out(toJson(action));
        return 0;
      }
      io.out(`${action.action} ${action.requestId} on server "${s.name}" (${s.id}), started ${action.startTime ?? '?'}${action.message ? `: ${action.message}` : ''}`);
      const events = action.events ?? [];
      if (events.length === 0) {
        io.out('No events (non-admin users see events from compute microversion 2.51).');
        return 0;
      }
      io.out(table(['Event', 'Result', 'Host', 'Start Time', 'Finish Time'], events.map((e) => [e.event, e.result ?? 'running', e.host ?? '', e.startTime ?? '', e.finishTime ?? ''])));
      for (const e of events) {
        if (e.traceback) io.out(`\n${e.event} traceback:\n${e.traceback.trimEnd()}`);
        if (e.details) io.out(`\n${e.event} details: ${e.details}`);
      }
      return 0;
    });
  },
};
