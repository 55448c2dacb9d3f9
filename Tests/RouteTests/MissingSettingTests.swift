import Foundation
import TestSupport
import Testing

@Suite("a function binary run alone")
struct MissingSettingTests {
    @Test("without its settings it names the missing one and says that smartpay invoke provides them")
    func namesTheSetting() async throws {
        let event = Executables.repositoryRoot.appendingPathComponent("events/route/decide.json").path
        let result = try await ProcessRunner.run(
            try Executables.built("route"), arguments: [event], environment: ["REDIS_URL": ""])
        #expect(result.status == 1)
        let said = result.stdoutText + result.stderrText
        #expect(said.contains("configuration REDIS_URL is not set"), "\(said)")
        #expect(said.contains("smartpay invoke FUNCTION --event FILE"), "\(said)")
    }
}
