import FunctionKit
import RouteFunction

RouteCommand.runIfRequested()
await RouteTools.runIfRequested()
await FunctionMain.run(RouteHandler.self, name: "route")
