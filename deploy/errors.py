"""The one exception type of the deployment flow."""


class DeployError(Exception):
    """A network the flow cannot handle; the message is one line naming the file, node or tensor."""
