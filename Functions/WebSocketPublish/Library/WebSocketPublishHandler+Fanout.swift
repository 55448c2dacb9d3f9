import FunctionKit
import Logging
import SmartPayContracts

extension WebSocketPublishHandler {
    /// Posts the event to every connection subscribed to one of its audiences, once each (the merchant's view to a
    /// connection in both), and forgets those that answer 410. A partial delivery is reported, not thrown: a live
    /// event that is late has lost its point.
    /// - Throws: `FunctionError.unavailable` when the subscription store is.
    public func publish(_ event: LiveEvent, envelope: EventBridgeEnvelope, logger: Logger) async throws
        -> FanoutReport
    {
        let audiences = Fanout.audiences(of: event)
        guard !audiences.isEmpty else { return FanoutReport() }
        let members = try await subscriptions.subscribers(of: audiences.map(\.topic))
        var report = FanoutReport()
        var reached: Set<String> = []
        var gone: [(id: String, topic: String)] = []
        for (audience, connections) in zip(audiences, members) {
            let fresh = connections.filter { reached.insert($0).inserted }
            guard !fresh.isEmpty else { continue }
            report.recipients += fresh.count
            let message = Fanout.message(
                detailType: envelope.detailType, eventID: envelope.id, time: envelope.time, data: audience.data)
            for (id, outcome) in await poster.post(message, to: fresh) {
                switch outcome {
                case .delivered: report.delivered += 1
                case .gone:
                    report.stale += 1
                    gone.append((id, audience.topic))
                case .failed(let why):
                    report.failed += 1
                    logger.warning(
                        "post to a connection failed", metadata: ["connection": .string(id), "error": .string(why)])
                }
            }
        }
        for (id, topic) in gone { try await subscriptions.remove(id, alsoFrom: [topic]) }
        logger.info(
            "fanned out",
            metadata: [
                "event": .string(envelope.detailType), "delivered": .stringConvertible(report.delivered),
                "stale": .stringConvertible(report.stale), "failed": .stringConvertible(report.failed),
            ])
        return report
    }
}
