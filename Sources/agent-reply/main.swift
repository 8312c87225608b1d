import AgentReply
import FunctionRuntime

FunctionRunner.main(AgentReplyFunction.definition)
