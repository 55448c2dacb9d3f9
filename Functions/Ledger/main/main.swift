import FunctionKit
import LedgerFunction

await FunctionMain.run(LedgerHandler.self, name: "ledger")
