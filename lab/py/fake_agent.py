"""Emulated neutron agent state reports for the lab (no dataplane).

Sends the same `report_state` RPC a real agent sends (neutron's own
PluginReportStateAPI over RabbitMQ), so `GET /v2.0/agents` lists the agent on
this host with a live heartbeat. Used as-is for the 'Linux bridge agent' on
compute1/compute2/network1, and as the base of l3emu.py ('L3 agent').
"""
import argparse
import sys
import time

from oslo_config import cfg
from oslo_log import log as logging

from neutron.common import config as common_config
from neutron.agent import rpc as agent_rpc
from neutron_lib.agent import topics
from neutron_lib import context as n_context

LOG = logging.getLogger("neutron.agent.lab")

parser = argparse.ArgumentParser()
parser.add_argument("--host", required=True)
parser.add_argument("--type", default="linuxbridge")


def setup(argv, binary):
    args, rest = parser.parse_known_args(argv)
    sys.argv[0] = binary
    common_config.register_common_config_options()
    try:
        from neutron.conf.plugins.ml2.drivers import linuxbridge as lb_conf
        lb_conf.register_linuxbridge_opts()
    except Exception:
        pass
    try:
        from neutron.conf.agent import common as agent_conf
        agent_conf.register_agent_state_opts_helper(cfg.CONF)
    except Exception:
        pass
    common_config.init(rest)
    cfg.CONF.set_override("host", args.host)
    common_config.setup_logging()
    return args


class Reporter(object):
    def __init__(self, state):
        self.state = state
        self.rpc = agent_rpc.PluginReportStateAPI(topics.REPORTS)
        self.ctx = n_context.get_admin_context_without_session()
        self.first = True

    def report(self):
        st = dict(self.state)
        if self.first:
            st["start_flag"] = True
        try:
            self.rpc.report_state(self.ctx, st, use_call=True)
            if self.first:
                LOG.info("Agent has just been revived or started: %s on host %s",
                         st["agent_type"], st["host"])
            self.first = False
            return True
        except Exception as exc:
            LOG.warning("Failed reporting state: %s", exc)
            return False


def ini_value(path, section, key, default=None):
    import configparser
    cp = configparser.ConfigParser(strict=False)
    cp.read(path)
    return cp.get(section, key, fallback=default)


def main():
    args = setup(sys.argv[1:], "neutron-linuxbridge-agent")
    ini = "/etc/neutron/plugins/ml2/linuxbridge_agent.ini"
    local_ip = ini_value(ini, "vxlan", "local_ip", "")
    state = {
        "binary": "neutron-linuxbridge-agent",
        "host": args.host,
        "topic": "N/A",
        "availability_zone": "nova",
        "agent_type": "Linux bridge agent",
        "configurations": {
            "interface_mappings": {"public": "eth0"},
            "bridge_mappings": {},
            "devices": 0,
            "tunnel_types": ["vxlan"],
            "tunneling_ip": local_ip,
            "l2_population": False,
            "extensions": [],
        },
    }
    rep = Reporter(state)
    LOG.info("Linux bridge agent (lab emulation: state reports only) started on %s", args.host)
    while True:
        rep.report()
        time.sleep(cfg.CONF.AGENT.report_interval or 30)


if __name__ == "__main__":
    main()
