// SMSInbound: see the issue that builds it.
