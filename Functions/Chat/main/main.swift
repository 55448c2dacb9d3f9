import ChatFunction
import FunctionKit

await FunctionMain.run(ChatHandler.self, name: "chat")
