// InvokerKit: see the issue that builds it.
