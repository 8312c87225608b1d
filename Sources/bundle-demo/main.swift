import DemoKit

DemoCommand.main()
