import Foundation

/// One section of a document: the text under a `##` heading (or the document's opening under its `#` title).
public struct Passage: Sendable, Equatable {
    /// The document's path as cited: `Functions/Chat/knowledge/payments.md`.
    public let path: String
    public let title: String
    public let heading: String
    public let text: String
}

/// SmartPay's user documentation (`Functions/Chat/knowledge/*.md`), chunked by heading and indexed with BM25 once per
/// process (Lambda's init), then kept in memory.
public struct KnowledgeBase: Sendable {
    public static let citedPrefix = "Functions/Chat/knowledge/"
    public let passages: [Passage]
    private let index: BM25

    public init(passages: [Passage]) {
        self.passages = passages
        // A heading says what its section is about: its words count twice, the document's title once more.
        index = BM25(
            documents: passages.map { Tokenizer.terms($0.heading + " " + $0.heading + " " + $0.title + " " + $0.text) })
    }

    /// Reads every `.md` file of `directory`.
    /// - Throws: `KnowledgeBaseError` naming the folder when it is missing or holds no sections.
    public init(directory: URL) throws {
        let files: [String]
        do {
            files = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix(".md") }
                .sorted()
        } catch {
            throw KnowledgeBaseError("cannot read the knowledge base folder \(directory.path): \(error)")
        }
        var passages: [Passage] = []
        for file in files {
            let text = try String(contentsOf: directory.appendingPathComponent(file), encoding: .utf8)
            passages += Self.chunk(text, path: Self.citedPrefix + file)
        }
        guard !passages.isEmpty else { throw KnowledgeBaseError("no sections in \(directory.path)") }
        self.init(passages: passages)
    }

    /// Splits a Markdown document at its `#` and `##` headings; deeper headings stay inside their section.
    static func chunk(_ text: String, path: String) -> [Passage] {
        var title = ""
        var heading = ""
        var lines: [Substring] = []
        var result: [Passage] = []
        func flush() {
            let body = lines.joined(separator: "\n").trimmingCharacters(in: .whitespacesAndNewlines)
            if !body.isEmpty {
                result.append(Passage(path: path, title: title, heading: heading.isEmpty ? title : heading, text: body))
            }
            lines = []
        }
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("# ") {
                flush()
                title = String(line.dropFirst(2)).trimmingCharacters(in: .whitespaces)
                heading = ""
            } else if line.hasPrefix("## ") {
                flush()
                heading = String(line.dropFirst(3)).trimmingCharacters(in: .whitespaces)
            } else {
                lines.append(line)
            }
        }
        flush()
        return result
    }

    /// The best sections for a question, best first, with their scores.
    public func search(_ question: String, limit: Int = 3) -> [(passage: Passage, score: Double)] {
        index.rank(Tokenizer.terms(question), limit: limit).map { (passages[$0.document], $0.score) }
    }

    /// The bullet that defines `term` in a list such as "- `insufficient_funds`: the account …", without the marker.
    public func definition(of term: String, in path: String? = nil) -> (passage: Passage, text: String)? {
        let marker = "- `\(term)`"
        for passage in passages where path.map({ passage.path.hasSuffix($0) }) ?? true {
            for line in passage.text.split(separator: "\n") where line.hasPrefix(marker) {
                var text = String(line.dropFirst(2))
                // Continuation lines of the bullet.
                if let start = passage.text.range(of: String(line)) {
                    for next in passage.text[start.upperBound...].split(separator: "\n") {
                        guard next.hasPrefix("  ") else { break }
                        text += " " + next.trimmingCharacters(in: .whitespaces)
                    }
                }
                return (passage, text)
            }
        }
        return nil
    }
}

public struct KnowledgeBaseError: Error, CustomStringConvertible, Sendable {
    public let description: String
    init(_ description: String) { self.description = description }
}

/// Okapi BM25 (k1 1.2, b 0.75) over term lists.
struct BM25: Sendable {
    private let frequencies: [[String: Int]]
    private let lengths: [Double]
    private let averageLength: Double
    private let idf: [String: Double]
    private let k1 = 1.2
    private let b = 0.75

    init(documents: [[String]]) {
        frequencies = documents.map { terms in terms.reduce(into: [:]) { $0[$1, default: 0] += 1 } }
        lengths = documents.map { Double($0.count) }
        averageLength = max(1, lengths.reduce(0, +) / Double(max(1, documents.count)))
        var documentFrequency: [String: Int] = [:]
        for terms in frequencies { for term in terms.keys { documentFrequency[term, default: 0] += 1 } }
        let count = Double(documents.count)
        idf = documentFrequency.mapValues { df in log(1 + (count - Double(df) + 0.5) / (Double(df) + 0.5)) }
    }

    func rank(_ query: [String], limit: Int) -> [(document: Int, score: Double)] {
        let terms = Set(query)
        var scores: [(Int, Double)] = []
        for (document, frequency) in frequencies.enumerated() {
            var score = 0.0
            for term in terms {
                guard let f = frequency[term].map(Double.init), let weight = idf[term] else { continue }
                score += weight * f * (k1 + 1) / (f + k1 * (1 - b + b * lengths[document] / averageLength))
            }
            if score > 0 { scores.append((document, score)) }
        }
        return scores.sorted { $0.1 > $1.1 || ($0.1 == $1.1 && $0.0 < $1.0) }.prefix(limit).map { ($0.0, $0.1) }
    }

    func weight(_ term: String) -> Double { idf[term] ?? 0 }
}

/// Words to terms: lower case, split on anything but letters, digits and `_` (a code like `insufficient_funds` is
/// kept whole and in its parts), common words dropped, plural and verb endings trimmed.
public enum Tokenizer {
    static let stopwords: Set<String> = [
        "a", "an", "the", "and", "or", "of", "to", "in", "on", "for", "is", "are", "was", "were", "be", "been", "it",
        "its", "my", "me", "i", "you", "your", "do", "does", "did", "can", "could", "would", "should", "what", "how",
        "why", "when", "where", "which", "who", "this", "that", "with", "by", "at", "from", "as", "if", "not", "no",
        "will", "about", "there", "they", "them", "we", "our", "us", "so", "than", "then", "into", "get", "got", "has",
        "have", "had", "any", "all", "some", "mean", "means", "tell",
    ]

    public static func terms(_ text: String) -> [String] {
        var result: [String] = []
        var word = ""
        func flush() {
            defer { word = "" }
            guard !word.isEmpty else { return }
            let parts = word.split(separator: "_").map(String.init)
            for candidate in (parts.count > 1 ? [word] : []) + parts where !stopwords.contains(candidate) {
                result.append(stem(candidate))
            }
        }
        for scalar in text.lowercased().unicodeScalars {
            if CharacterSet.alphanumerics.contains(scalar) || scalar == "_" {
                word.unicodeScalars.append(scalar)
            } else {
                flush()
            }
        }
        flush()
        return result
    }

    static func stem(_ word: String) -> String {
        guard word.count > 3, !word.contains("_") else { return word }
        for (suffix, replacement) in [("ies", "y"), ("ing", ""), ("ed", ""), ("es", ""), ("s", "")]
        where word.hasSuffix(suffix) && word.count - suffix.count >= 3 {
            if suffix == "s" && (word.hasSuffix("ss") || word.hasSuffix("us")) { return word }
            return String(word.dropLast(suffix.count)) + replacement
        }
        return word
    }
}
