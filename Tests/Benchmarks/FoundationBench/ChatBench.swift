import ChatFunction
import Foundation
import SmartPayCore

/// `smartpay-bench chat-retrieval DIR QUESTIONS`: the knowledge base indexed, then every question of the set searched
/// and answered (BM25 + composition) many times over, one thread.
func chatRetrieval(directory: String, questions path: String, rounds: Int) throws {
    var clock = ContinuousClock.now
    let knowledge = try KnowledgeBase(directory: URL(fileURLWithPath: directory))
    print(
        "chat_index_build \(String(format: "%.2f", seconds(ContinuousClock.now - clock) * 1000)) ms (\(knowledge.passages.count) sections)"
    )
    let set = try JSONParser().parse(Array(try Data(contentsOf: URL(fileURLWithPath: path))))
    let questions = (set.arrayValue ?? []).compactMap { $0["q"]?.stringValue }
    var found = 0
    clock = ContinuousClock.now
    for _ in 0..<rounds {
        for question in questions where !knowledge.search(question, limit: 3).isEmpty { found += 1 }
    }
    report("chat_search_top3", operations: rounds * questions.count, elapsed: ContinuousClock.now - clock)
    if found == 0 { print("unexpected: nothing found") }
}
