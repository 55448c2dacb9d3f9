import FunctionKit
import WebSocketPublishFunction

await FunctionMain.run(WebSocketPublishHandler.self, name: "websocket-publish")
