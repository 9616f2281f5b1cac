"""tinyML deployment toolkit: ONNX -> int8 -> patch-based plan -> C engine -> board."""

import os

__version__ = "0.1.0"

# labgrid's client brings gRPC into the process; gRPC's fork handlers abort a child forked between
# its fork and exec (QEMU is started with a preexec_fn, so by fork): measured in CI as QEMU exiting
# with SIGABRT and an "epoll_wait error" line. The toolkit never uses gRPC across a fork.
os.environ.setdefault("GRPC_ENABLE_FORK_SUPPORT", "false")
