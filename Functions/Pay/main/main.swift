import FunctionKit
import PayFunction

await FunctionMain.run(PayHandler.self, name: "pay")
