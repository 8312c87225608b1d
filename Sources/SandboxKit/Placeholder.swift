// SandboxKit: see the issue that builds it.
