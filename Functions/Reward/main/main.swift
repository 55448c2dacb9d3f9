import FunctionKit
import RewardFunction

await FunctionMain.run(RewardHandler.self, name: "reward")
