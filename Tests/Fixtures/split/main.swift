import FunctionKit
import SplitFunction

await FunctionMain.run(SplitHandler.self, name: "split")
