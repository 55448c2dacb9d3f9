import RouteFunction

RouteCommand.run()
