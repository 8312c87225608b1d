// ServiceClients: see the issue that builds it.
