import Foundation

/// The Solana JSON-RPC sandbox over LiteSVM (`infra/sandboxes/solana_sandbox.py`) on 127.0.0.1 for one test.
/// Stopped after.
public final class LocalSolana: Sendable {
    public let server: SandboxProcess

    public var url: String { server.baseURL }

    /// - Parameter slotMilliseconds: how fast slots (and so confirmations) advance.
    public init(slotMilliseconds: Int = 50, blockhashSlots: Int = 150) async throws {
        server = try await SandboxProcess(
            "solana", script: "solana_sandbox.py",
            arguments: ["--slot-ms", String(slotMilliseconds), "--blockhash-slots", String(blockhashSlots)])
    }

    public func stop() { server.stop() }

    deinit { stop() }
}
