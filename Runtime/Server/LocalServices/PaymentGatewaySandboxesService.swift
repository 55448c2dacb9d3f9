import Foundation
import ServiceLifecycle
import SmartPayTemplate

/// The payment gateways' local sandboxes (or their settings from the environment), started before the functions
/// that call them and stopped after.
struct PaymentGatewaySandboxesService: Service {
    let wiring: ServeWiring

    func run() async throws {
        // Only a template with the pay function needs payment gateways.
        let needsGateways = wiring.template.functions.values.contains { $0.binary == "pay" }
        let sandboxes = await PaymentGatewaySandboxes.start(
            .init(enabled: wiring.options.sandboxes && needsGateways, directory: wiring.options.sandboxDirectory),
            environment: ProcessInfo.processInfo.environment, logger: wiring.logger)
        wiring.sandboxes.succeed(sandboxes)
        await untilShutdown { await sandboxes.stop() }
    }
}
