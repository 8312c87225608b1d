// SMSCore: see the issue that builds it.
