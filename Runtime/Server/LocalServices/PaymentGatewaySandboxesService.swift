import Foundation
import ServiceLifecycle
import SmartPayTemplate

/// The payment gateways' local sandboxes the template's functions declare (or their settings from the environment),
/// started before the functions that call them and stopped after.
struct PaymentGatewaySandboxesService: Service {
    let wiring: ServeWiring

    func run() async throws {
        let wanted: Set<String>
        do {
            wanted = try PaymentGatewaySandboxes.declared(by: wiring.template)
        } catch {
            wiring.sandboxes.fail(error)
            throw error
        }
        let sandboxes = await PaymentGatewaySandboxes.start(
            .init(enabled: wiring.options.sandboxes, wanted: wanted, directory: wiring.options.sandboxDirectory),
            environment: ProcessInfo.processInfo.environment, logger: wiring.logger)
        wiring.sandboxes.succeed(sandboxes)
        await untilShutdown { await sandboxes.stop() }
    }
}
