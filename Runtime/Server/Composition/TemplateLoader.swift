import Foundation
import SmartPayTemplate

/// Reads and parses the template file.
public enum TemplateLoader {
    public static func load(_ path: String) throws -> Template {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw RuntimeError("cannot read the template \(path)")
        }
        return try TemplateParser.parse(String(decoding: data, as: UTF8.self))
    }
}
