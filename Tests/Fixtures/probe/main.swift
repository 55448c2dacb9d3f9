import FunctionKit
import ProbeFunction

await FunctionMain.run(ProbeHandler.self, name: "probe")
