import FraudFunction
import FunctionKit

await FraudTools.runIfRequested()
await FunctionMain.run(FraudHandler.self, name: "fraud")
