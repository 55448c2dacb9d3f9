import FunctionKit
import RouteFunction

RouteCommand.runIfRequested()
await FunctionMain.run(RouteHandler.self, name: "route")
