// TicketMetrics: see the issue that builds it.
