"""Runs moto's server with one fix the end-to-end tests need.

moto's Step Functions engine deep-copies the state machine at every StartExecution; once the
state machine holds a finished Distributed Map execution, that copy hits a thread lock and the
second StartExecution answers HTTP 500. The copy only needs the definition, so executions are left
out of it. CloudWatch requests in the Smithy RPC v2 CBOR protocol (what aws-sdk-cloudwatch sends)
go through tests/e2e/cbor_bridge.py. Everything else is moto as released.

Usage: python -m tests.e2e.moto_server PORT   (set MOTO_PORT to the router's port)
"""

import copy
import sys

from moto.stepfunctions.models import StateMachineInstance


def _deepcopy_without_executions(self, memo):
    cls = self.__class__
    clone = cls.__new__(cls)
    memo[id(self)] = clone
    for key, value in self.__dict__.items():
        if key == "executions":
            setattr(clone, key, value)  # shared on purpose: the copy never runs them
        else:
            setattr(clone, key, copy.deepcopy(value, memo))
    return clone


StateMachineInstance.__deepcopy__ = _deepcopy_without_executions


def main() -> None:
    import moto.server
    from moto.server import main as moto_main

    from tests.e2e.cbor_bridge import CborBridge

    serve = moto.server.run_simple
    moto.server.run_simple = lambda host, port, app, **options: serve(host, port, CborBridge(app), **options)
    moto_main(["-H", "127.0.0.1", "-p", sys.argv[1]])


if __name__ == "__main__":
    main()
