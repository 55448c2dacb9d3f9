import SmartPayCore
import SmartPayRuntime
import SmartPayTemplate

/// `--env-vars FILE` as `sam local invoke` reads it: a JSON object whose `Parameters` apply to every function and
/// whose other keys (a function's logical id or name) to that one, each an object of variable names to values.
enum EnvironmentFile {
    /// - Returns: the variables by function name.
    /// - Throws: `RuntimeError` naming the file and what is wrong in it.
    static func read(_ path: String, template: Template) throws -> [String: [String: String]] {
        let json: JSONValue
        do {
            json = try JSONParser().parse(try readInput(path))
        } catch {
            throw RuntimeError("--env-vars \(path): not JSON: \(error)")
        }
        guard case .object(let sections) = json else {
            throw RuntimeError("--env-vars \(path): expected an object of functions (or Parameters) to variables")
        }
        var byFunction: [String: [String: String]] = [:]
        func variables(_ key: String) throws -> [String: String] {
            guard let section = sections[key] else { return [:] }
            guard case .object(let values) = section else {
                throw RuntimeError("--env-vars \(path): \(key) must be an object of variable names to values")
            }
            var result: [String: String] = [:]
            for (name, value) in values {
                switch value {
                case .string(let text): result[name] = text
                case .number(let text): result[name] = text
                case .bool(let flag): result[name] = flag ? "true" : "false"
                default:
                    throw RuntimeError("--env-vars \(path): \(key).\(name) must be a string, a number or a boolean")
                }
            }
            return result
        }
        let everyone = try variables("Parameters")
        for key in sections.keys where key != "Parameters" {
            guard template.functions[key] != nil || template.functions.values.contains(where: { $0.logicalID == key })
            else {
                let known = template.functions.values.map(\.logicalID).sorted().joined(separator: ", ")
                throw RuntimeError("--env-vars \(path): \(key) is no function of the template (it has: \(known))")
            }
        }
        for spec in template.functions.values {
            byFunction[spec.name] = everyone.merging(try variables(spec.logicalID)) { $1 }
                .merging(try variables(spec.name)) { $1 }
        }
        return byFunction
    }
}
