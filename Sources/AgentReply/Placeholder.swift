// AgentReply: see the issue that builds it.
