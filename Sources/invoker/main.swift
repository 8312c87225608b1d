import InvokerKit

InvokerCommand.main()
