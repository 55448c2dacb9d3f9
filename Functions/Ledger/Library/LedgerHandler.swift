import FunctionKit
import Logging
import SmartPayContracts
import SmartPayCore
import SmartPayLedger
import SmartPayRedis

/// The ledger function.
///
/// From the bus: `payment.processed` (a succeeded payment: clearing → merchant held and platform fees),
/// `payment.refunded` (held first, then available → clearing) and `chargeback.received` (held, available, reserve
/// → platform chargeback loss; the rest to the merchant's negative balance), each a linked chain with ids derived
/// from the payment, so a re-delivery is `exists`. Behind the HTTP API: `GET /balance`, the caller's merchant balance in
/// Stripe's shape (an admin names `?merchant_id=`). Directly: `create_accounts`, `create_transfers` (TigerBeetle's
/// requests), `lookup_accounts`, `lookup_transfers`, `balance`, `verify`, `seal`, `expire`.
///
/// Configuration: `REDIS_URL` (the ledger's Redis; the embedded one under `smartpay serve`).
public struct LedgerHandler: RoutedFunction {
    public static let routes = FunctionRoutes<LedgerHandler> { routes in
        routes.http("GET /balance", body: EmptyBody.self) { ledger, _, request, context in
            let merchant = request.queryStringParameters["merchant_id"] ?? context.identity?.merchantID ?? ""
            guard !merchant.isEmpty else { throw FunctionError.notFound("no such balance") }
            try context.requireAccess(to: "balance", customerID: nil, merchantID: merchant)
            return LedgerViews.balance(try await ledger.service.balances(merchant: merchant))
        }
        routes.event(PaymentProcessed.self) { ledger, payment, _, _ in
            LedgerViews.posting(try await ledger.service.postCapture(payment))
        }
        routes.event(PaymentRefunded.self) { ledger, refund, _, _ in
            LedgerViews.posting(try await ledger.service.postRefund(refund))
        }
        routes.event(ChargebackReceived.self) { ledger, chargeback, _, _ in
            LedgerViews.posting(try await ledger.service.postChargeback(chargeback))
        }
        routes.action("create_accounts", body: LedgerAction.CreateAccounts.self) { ledger, body, _ in
            var accounts: [NewAccount] = []
            for (index, item) in body.accounts.enumerated() { accounts.append(try item.account(at: index)) }
            return LedgerViews.results(
                accounts.map(\.id), try await ledger.store.createAccounts(accounts).map(\.rawValue))
        }
        routes.action("create_transfers", body: LedgerAction.CreateTransfers.self) { ledger, body, _ in
            var transfers: [NewTransfer] = []
            for (index, item) in body.transfers.enumerated() { transfers.append(try item.transfer(at: index)) }
            return LedgerViews.results(
                transfers.map(\.id), try await ledger.store.createTransfers(transfers).map(\.rawValue))
        }
        routes.action("lookup_accounts", body: LedgerAction.LookupAccounts.self) { ledger, body, _ in
            let ids = (body.ids ?? []) + (body.names ?? []).map { LedgerID.derived("account", body.ledger.code, $0) }
            let found = try await ledger.store.lookupAccounts(ids, ledger: body.ledger)
            return JSONValue.object(["accounts": .array(found.compactMap { $0.map(LedgerViews.account) })])
        }
        routes.action("lookup_transfers", body: LedgerAction.LookupTransfers.self) { ledger, body, _ in
            let found = try await ledger.store.lookupTransfers(body.ids, ledger: body.ledger)
            return JSONValue.object(["transfers": .array(found.compactMap { $0.map(LedgerViews.transfer) })])
        }
        routes.action("balance", body: LedgerAction.Balance.self) { ledger, body, _ in
            LedgerViews.balance(try await ledger.service.balances(merchant: body.merchantID))
        }
        routes.action("verify", body: LedgerAction.Ledgers.self) { ledger, body, _ in
            var reports: [JSONValue] = []
            for name in try await ledger.ledgers(body.ledger) {
                reports.append(LedgerViews.report(try await LedgerVerification.verify(ledger.store, ledger: name)))
            }
            return JSONValue.object(["ledgers": .array(reports)])
        }
        routes.action("seal", body: LedgerAction.Ledgers.self) { ledger, body, _ in
            var reports: [JSONValue] = []
            for name in try await ledger.ledgers(body.ledger) {
                reports.append(LedgerViews.report(try await LedgerVerification.seal(ledger.store, ledger: name)))
            }
            return JSONValue.object(["ledgers": .array(reports)])
        }
        routes.action("expire", body: LedgerAction.Ledgers.self) { ledger, body, _ in
            var expired: [String: JSONValue] = [:]
            for name in try await ledger.ledgers(body.ledger) {
                expired[name.code] = .number(String(try await ledger.store.expirePending(ledger: name)))
            }
            return JSONValue.object(["expired": .object(expired)])
        }
    }

    public let service: LedgerService
    public var store: any LedgerStore { service.store }

    public init(service: LedgerService) { self.service = service }

    public init(context: InitializationContext) async throws {
        let redis = try RedisClient(
            url: try context.configuration.require("REDIS_URL"), maximumConnections: 8, service: "the ledger store")
        self.init(service: LedgerService(store: RedisLedgerStore(redis: redis)))
        context.logger.info("ledger ready")
    }

    func ledgers(_ one: LedgerName?) async throws -> [LedgerName] {
        if let one { return [one] }
        return try await store.ledgers()
    }
}
