import FunctionRuntime
import SMSInbound

FunctionRunner.main(SMSInboundFunction.definition)
