"""ML2 mechanism driver for the lab: binds every port on every host.

There are no L2 agents in the lab, so without this driver ports end up with
binding:vif_type=binding_failed and nova fails boots with PortBindingFailed.
After a binding becomes active (boot, live migration) it completes the L2
provisioning block like an L2 agent would, so the port goes ACTIVE.
Registered through labfake-1.0.dist-info/entry_points.txt in this folder
(the lab puts this folder on neutron-server's PYTHONPATH).
"""
from neutron_lib.api.definitions import portbindings
from neutron_lib.callbacks import resources
from neutron_lib import constants
from neutron_lib.plugins.ml2 import api
from neutron.db import provisioning_blocks
from oslo_log import log as logging

LOG = logging.getLogger(__name__)


class LabFakeMechanismDriver(api.MechanismDriver):
    def initialize(self):
        LOG.info("labfake mechanism driver initialised (binds every port)")

    def bind_port(self, context):
        for segment in context.segments_to_bind:
            context.set_binding(segment[api.ID], portbindings.VIF_TYPE_OTHER,
                                {portbindings.CAP_PORT_FILTER: False},
                                status=constants.PORT_STATUS_ACTIVE)
            return

    def _complete(self, context):
        port = context.current
        if not port.get(portbindings.HOST_ID):
            return
        if context.vif_type in (portbindings.VIF_TYPE_UNBOUND,
                                portbindings.VIF_TYPE_BINDING_FAILED, None):
            return
        if port.get('status') == constants.PORT_STATUS_ACTIVE:
            return
        try:
            provisioning_blocks.provisioning_complete(
                context._plugin_context, port['id'], resources.PORT,
                provisioning_blocks.L2_AGENT_ENTITY)
        except Exception:  # best effort, like an agent that retries later
            LOG.exception("labfake: provisioning_complete failed for %s",
                          port['id'])

    def create_port_postcommit(self, context):
        self._complete(context)

    def update_port_postcommit(self, context):
        self._complete(context)
