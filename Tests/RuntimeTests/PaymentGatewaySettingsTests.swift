import Logging
import Testing

@testable import SmartPayRuntime

@Suite("the payment gateways' settings from smartpay serve's environment")
struct GatewaySettingsTests {
    static let logger = Logger(label: "gateway-settings-test")

    @Test("a gateway's credential set: every one of its settings reaches the functions, and nothing else")
    func passThrough() async {
        let gateways = [
            "STRIPE_API_KEY": "sk_test_1", "STRIPE_API_BASE": "http://127.0.0.1:12111", "STRIPE_DIALECT": "localstripe",
            "AMAZON_PAY_PUBLIC_KEY_ID": "LIVE-KEY-1", "AMAZON_PAY_PRIVATE_KEY_FILE": "/run/secrets/amazon-pay.pem",
            "AMAZON_PAY_REGION": "eu", "AMAZON_PAY_ENVIRONMENT": "sandbox",
            "SOLANA_RPC_URL": "http://127.0.0.1:8899",
            "SOLANA_RECIPIENT": "9xQeWvG816bUx9EPjHmaT23yvVM2ZWbrrpZb9PusVFin",
            "SOLANA_PAYMENT_WINDOW_S": "60",
        ]
        let others = [
            "SMARTPAY_API_KEY_SECRET": "0123456789abcdef0123456789abcdef", "AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI",
            "HOME": "/home/smartpay", "STRIPE": "no prefix of a setting",
        ]
        let sandboxes = await PaymentGatewaySandboxes.start(
            .init(enabled: false), environment: gateways.merging(others) { $1 }, logger: Self.logger)
        #expect(sandboxes.environment == gateways)
        #expect(sandboxes.endpoints == ["stripe": "http://127.0.0.1:12111", "solana": "http://127.0.0.1:8899"])
    }

    @Test("without a gateway's credential its other settings stay behind (its sandbox describes itself)")
    func withoutCredential() async {
        let outer = [
            "STRIPE_API_BASE": "http://127.0.0.1:12111", "STRIPE_DIALECT": "stripe", "AMAZON_PAY_REGION": "eu",
            "AMAZON_PAY_PRIVATE_KEY": "-----BEGIN PRIVATE KEY-----", "SOLANA_RECIPIENT": "9xQeWvG816bUx9EPjHmaT23yv",
            "STRIPE_API_KEY": "", "SOLANA_RPC_URL": "",
        ]
        let sandboxes = await PaymentGatewaySandboxes.start(
            .init(enabled: false), environment: outer, logger: Self.logger)
        #expect(sandboxes.environment.isEmpty)
    }
}
