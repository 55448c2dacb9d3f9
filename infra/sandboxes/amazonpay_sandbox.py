"""Amazon Pay API v2 sandbox on loopback: Charges and Refunds behind the documented request signature.

No public emulator of Amazon Pay exists, so pay's tests and `smartpay serve` run against this one. It checks every
request's signature with an implementation independent of SmartPay's (Python `cryptography`: RSASSA-PSS, MGF1 with
SHA-256, salt 32, over `AMZN-PAY-RSASSA-PSS-V2\\n` + hex SHA-256 of the canonical request), honours
`x-amz-pay-idempotency-key` (the same key answers with the first response again; the same key with another body
is a 400), and runs the Charge states:
Authorized -> CaptureInitiated -> Completed, Declined, Canceled; Refunds RefundInitiated -> Refunded.

Paths: `/{sandbox,live}/v2/...` and `/v2/...` (for SANDBOX-/LIVE- prefixed key ids):
    POST   charges                      create (captureNow true: straight to capture)
    GET    charges/{chargeId}
    POST   charges/{chargeId}/capture
    DELETE charges/{chargeId}/cancel
    POST   refunds
    GET    refunds/{refundId}

Buyer simulation: the charge permission id picks the outcome, as the real sandbox's simulation strings do.
    ...HardDeclined / SoftDeclined / AmazonRejected / PaymentMethodNotAllowed  -> 422 with that reasonCode
    ...ProcessingFailure                                                       -> 422 ProcessingFailure
    ...Expired                                                                 -> 422 InvalidChargePermissionStatus
    anything else                                                              -> authorised

Keys: `--public-key FILE` with `--public-key-id ID` registers a merchant's key. Without `--public-key` the sandbox
makes an RSA-2048 key pair, writes the private key to `--private-key-out` (mode 0600; the merchant's copy, as Seller
Central hands it out) and prints nothing of it.

    .venv/bin/python infra/sandboxes/amazonpay_sandbox.py --port 0 --port-file F --private-key-out K
"""

import argparse
import base64
import hashlib
import json
import re
import secrets
import threading
import time
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import quote, urlsplit, parse_qsl

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from loopback import die_with_parent, serve, write_private

ALGORITHM = "AMZN-PAY-RSASSA-PSS-V2"
MAX_AMOUNT = {"USD": 150000, "EUR": 150000, "GBP": 150000, "JPY": 10000000}
DECIMALS = {"JPY": 0}
SIMULATED = ["HardDeclined", "SoftDeclined", "AmazonRejected", "PaymentMethodNotAllowed", "ProcessingFailure"]
CLOCK_SKEW = timedelta(minutes=15)


class ApiError(Exception):
    def __init__(self, status, reason, message):
        super().__init__(message)
        self.status, self.reason, self.message = status, reason, message


class Sandbox:
    def __init__(self, keys, capture_delay):
        self.keys = keys  # public key id -> public key
        self.capture_delay = capture_delay
        self.lock = threading.Lock()
        self.charges = {}
        self.refunds = {}
        self.idempotency = {}  # (key id, idempotency key) -> (body digest, status, response)
        self.counter = 0

    # --- signatures -------------------------------------------------------------------------------------------
    def verify(self, method, raw_path, headers, body):
        auth = headers.get("authorization", "")
        match = re.fullmatch(
            ALGORITHM + r" PublicKeyId=([^,]+), SignedHeaders=([^,]+), Signature=(\S+)", auth.strip())
        if not match:
            raise ApiError(400, "InvalidHeaderValue", "Authorization is not an " + ALGORITHM + " signature")
        key_id, signed, signature = match.groups()
        key = self.keys.get(key_id)
        if key is None:
            raise ApiError(401, "UnauthorizedAccess", "unknown PublicKeyId")
        names = signed.split(";")
        for required in ("x-amz-pay-date", "x-amz-pay-host", "x-amz-pay-region"):
            if required not in names:
                raise ApiError(400, "InvalidHeaderValue", "SignedHeaders must include " + required)
        if method == "POST" and "x-amz-pay-idempotency-key" not in names:
            raise ApiError(400, "MissingHeader", "x-amz-pay-idempotency-key is required on POST")
        try:
            date = datetime.strptime(headers.get("x-amz-pay-date", ""), "%Y%m%dT%H%M%SZ").replace(tzinfo=timezone.utc)
        except ValueError:
            raise ApiError(400, "InvalidHeaderValue", "x-amz-pay-date is not yyyyMMddTHHmmssZ")
        if abs(datetime.now(timezone.utc) - date) > CLOCK_SKEW:
            raise ApiError(400, "InvalidRequestSignature", "x-amz-pay-date is more than 15 minutes off")
        split = urlsplit(raw_path)
        query = sorted((quote(k, safe="-_.~"), quote(v, safe="-_.~")) for k, v in parse_qsl(split.query, True))
        canonical_headers = "".join(
            name + ":" + " ".join(headers.get(name, "").split()) + "\n" for name in sorted(names))
        canonical = "\n".join([
            method, split.path, "&".join(k + "=" + v for k, v in query), canonical_headers, ";".join(sorted(names)),
            hashlib.sha256(body).hexdigest(),
        ])
        to_sign = ALGORITHM + "\n" + hashlib.sha256(canonical.encode()).hexdigest()
        try:
            key.verify(
                base64.b64decode(signature, validate=True), to_sign.encode(),
                padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32), hashes.SHA256())
        except (InvalidSignature, ValueError):
            raise ApiError(401, "InvalidRequestSignature", "the request signature does not match")
        return key_id

    # --- resources --------------------------------------------------------------------------------------------
    def next_id(self, kind):
        self.counter += 1
        return "S01-%07d-%07d-%s%06d" % (secrets.randbelow(10**7), secrets.randbelow(10**7), kind, self.counter)

    @staticmethod
    def stamp():
        return datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")

    @staticmethod
    def minor(price, field):
        if not isinstance(price, dict):
            raise ApiError(400, "MissingParameterValue", field + " is required")
        currency, amount = price.get("currencyCode"), price.get("amount")
        if currency not in MAX_AMOUNT:
            raise ApiError(400, "InvalidParameterValue", field + ".currencyCode " + repr(currency) + " is not supported")
        decimals = DECIMALS.get(currency, 2)
        pattern = r"\d+" if decimals == 0 else r"\d+(\.\d{1,%d})?" % decimals
        if not isinstance(amount, str) or not re.fullmatch(pattern, amount):
            raise ApiError(400, "InvalidParameterValue", field + ".amount must be a decimal string, got " + repr(amount))
        whole, _, frac = amount.partition(".")
        value = int(whole) * 10**decimals + int((frac + "0" * decimals)[:decimals] or 0)
        if value <= 0:
            raise ApiError(400, "InvalidParameterValue", field + ".amount must be positive")
        if value > MAX_AMOUNT[currency] * 10**decimals:
            raise ApiError(400, "TransactionAmountExceeded", field + " is over the maximum")
        return currency, value

    def charge_view(self, charge):
        self.settle(charge)
        return {key: value for key, value in charge.items() if not key.startswith("_")}

    def settle(self, charge):
        # A capture completes `capture_delay` seconds after it was initiated (asynchronous processing).
        due = charge.get("_capture_due")
        if charge["statusDetails"]["state"] == "CaptureInitiated" and due is not None and time.time() >= due:
            charge["statusDetails"] = {"state": "Completed", "reasonCode": None, "reasonDescription": None,
                                       "lastUpdatedTimestamp": self.stamp()}
            charge["captureAmount"] = charge["chargeAmount"]

    def create_charge(self, body):
        permission = body.get("chargePermissionId")
        if not isinstance(permission, str) or not permission:
            raise ApiError(400, "MissingParameterValue", "chargePermissionId is required")
        currency, value = self.minor(body.get("chargeAmount"), "chargeAmount")
        for reason in SIMULATED:
            if permission.endswith(reason):
                raise ApiError(422, reason, "simulated: " + reason)
        if permission.endswith("Expired"):
            raise ApiError(422, "InvalidChargePermissionStatus", "the charge permission is not Chargeable")
        charge = {
            "chargeId": self.next_id("C"), "chargePermissionId": permission,
            "chargeAmount": body["chargeAmount"], "captureAmount": None,
            "refundedAmount": {"amount": "0", "currencyCode": currency},
            "softDescriptor": body.get("softDescriptor"), "merchantMetadata": body.get("merchantMetadata"),
            "statusDetails": {"state": "Authorized", "reasonCode": None, "reasonDescription": None,
                              "lastUpdatedTimestamp": self.stamp()},
            "creationTimestamp": self.stamp(),
            "expirationTimestamp": (datetime.now(timezone.utc) + timedelta(days=30)).strftime("%Y%m%dT%H%M%SZ"),
            "releaseEnvironment": "Sandbox",
            "_currency": currency, "_value": value, "_refunded": 0,
        }
        self.charges[charge["chargeId"]] = charge
        if body.get("captureNow") is True:
            self.capture(charge, {"captureAmount": body["chargeAmount"]})
        return 201, self.charge_view(charge)

    def charge(self, charge_id):
        charge = self.charges.get(charge_id)
        if charge is None:
            raise ApiError(404, "ResourceNotFound", "no Charge " + charge_id)
        return charge

    def capture(self, charge, body):
        self.settle(charge)
        if charge["statusDetails"]["state"] != "Authorized":
            raise ApiError(422, "InvalidChargeStatus",
                           "a Charge in state " + charge["statusDetails"]["state"] + " cannot be captured")
        currency, value = self.minor(body.get("captureAmount"), "captureAmount")
        if currency != charge["_currency"] or value > charge["_value"]:
            raise ApiError(400, "InvalidParameterValue", "captureAmount exceeds the authorised chargeAmount")
        charge["_value"] = value
        charge["statusDetails"] = {"state": "CaptureInitiated", "reasonCode": None, "reasonDescription": None,
                                   "lastUpdatedTimestamp": self.stamp()}
        charge["_capture_due"] = time.time() + self.capture_delay
        charge["chargeAmount"] = body["captureAmount"]
        return 200, self.charge_view(charge)

    def cancel(self, charge, body):
        self.settle(charge)
        state = charge["statusDetails"]["state"]
        if state == "Canceled":
            return 200, self.charge_view(charge)
        if state not in ("Authorized", "AuthorizationInitiated"):
            raise ApiError(422, "InvalidChargeStatus", "a Charge in state " + state + " cannot be canceled")
        charge["statusDetails"] = {"state": "Canceled", "reasonCode": "MerchantCanceled",
                                   "reasonDescription": str(body.get("cancellationReason") or "")[:255],
                                   "lastUpdatedTimestamp": self.stamp()}
        return 200, self.charge_view(charge)

    def create_refund(self, body):
        charge = self.charge(body.get("chargeId") or "")
        self.settle(charge)
        if charge["statusDetails"]["state"] not in ("Completed", "Captured"):
            raise ApiError(422, "InvalidChargeStatus", "only a captured Charge can be refunded")
        currency, value = self.minor(body.get("refundAmount"), "refundAmount")
        if currency != charge["_currency"]:
            raise ApiError(400, "InvalidParameterValue", "refundAmount.currencyCode differs from the Charge's")
        if charge["_refunded"] + value > charge["_value"]:
            raise ApiError(400, "TransactionAmountExceeded", "refunds would exceed the captured amount")
        charge["_refunded"] += value
        decimals = DECIMALS.get(currency, 2)
        refunded = charge["_refunded"]
        charge["refundedAmount"] = {
            "amount": str(refunded) if decimals == 0 else "%d.%0*d" % (refunded // 10**decimals, decimals,
                                                                        refunded % 10**decimals),
            "currencyCode": currency}
        refund = {"refundId": self.next_id("R"), "chargeId": charge["chargeId"], "refundAmount": body["refundAmount"],
                  "softDescriptor": body.get("softDescriptor"), "creationTimestamp": self.stamp(),
                  "statusDetails": {"state": "RefundInitiated", "reasonCode": None, "reasonDescription": None,
                                    "lastUpdatedTimestamp": self.stamp()},
                  "releaseEnvironment": "Sandbox"}
        self.refunds[refund["refundId"]] = refund
        return 201, refund

    def get_refund(self, refund_id):
        refund = self.refunds.get(refund_id)
        if refund is None:
            raise ApiError(404, "ResourceNotFound", "no Refund " + refund_id)
        refund["statusDetails"]["state"] = "Refunded"
        return 200, refund

    def handle(self, method, raw_path, headers, body):
        key_id = self.verify(method, raw_path, headers, body)
        path = urlsplit(raw_path).path
        match = re.fullmatch(r"/(?:(?:sandbox|live)/)?v2/(.+)", path)
        if not match:
            raise ApiError(404, "ResourceNotFound", "no such path " + path)
        route = match.group(1).split("/")
        try:
            document = json.loads(body) if body else {}
        except ValueError:
            raise ApiError(400, "InvalidRequestFormat", "the body is not JSON")
        if not isinstance(document, dict):
            raise ApiError(400, "InvalidRequestFormat", "the body is not a JSON object")
        idem = headers.get("x-amz-pay-idempotency-key")
        digest = hashlib.sha256(method.encode() + path.encode() + body).hexdigest()
        with self.lock:
            if method == "POST" and idem:
                if not 1 <= len(idem) <= 255:
                    raise ApiError(400, "InvalidHeaderValue", "x-amz-pay-idempotency-key must be 1 to 255 characters")
                stored = self.idempotency.get((key_id, idem))
                if stored is not None:
                    if stored[0] != digest:
                        raise ApiError(400, "InvalidParameterValue",
                                       "x-amz-pay-idempotency-key was used with another request")
                    return stored[1], stored[2]
            status, response = self.route(method, route, document)
            if method == "POST" and idem:
                self.idempotency[(key_id, idem)] = (digest, status, response)
            return status, response

    def route(self, method, route, body):
        if route == ["charges"] and method == "POST":
            return self.create_charge(body)
        if len(route) == 2 and route[0] == "charges" and method == "GET":
            return 200, self.charge_view(self.charge(route[1]))
        if len(route) == 3 and route[0] == "charges" and route[2] == "capture" and method == "POST":
            return self.capture(self.charge(route[1]), body)
        if len(route) == 3 and route[0] == "charges" and route[2] == "cancel" and method == "DELETE":
            return self.cancel(self.charge(route[1]), body)
        if route == ["refunds"] and method == "POST":
            return self.create_refund(body)
        if len(route) == 2 and route[0] == "refunds" and method == "GET":
            return self.get_refund(route[1])
        raise ApiError(404, "ResourceNotFound", "no operation " + method + " " + "/".join(route))


def make_handler(sandbox):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass

        def serve(self):
            length = int(self.headers.get("content-length") or 0)
            if length > 1 << 20:
                return self.answer(413, {"reasonCode": "RequestEntityTooLarge", "message": "body over 1 MiB"})
            body = self.rfile.read(length) if length else b""
            headers = {name.lower(): value for name, value in self.headers.items()}
            try:
                status, response = sandbox.handle(self.command, self.path, headers, body)
            except ApiError as error:
                status, response = error.status, {"reasonCode": error.reason, "message": error.message}
            self.answer(status, response)

        def answer(self, status, document):
            data = json.dumps(document).encode()
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(data)))
            self.send_header("x-amz-pay-request-id", secrets.token_hex(8))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_DELETE = serve

    return Handler


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8421)
    parser.add_argument("--port-file")
    parser.add_argument("--public-key", help="PEM of the merchant's registered public key")
    parser.add_argument("--public-key-id", default="SMARTPAY-LOCAL-SANDBOX-KEY")
    parser.add_argument("--private-key-out", help="where to write a generated private key (without --public-key)")
    parser.add_argument("--capture-delay", type=float, default=0.0,
                        help="seconds a capture stays CaptureInitiated before it completes")
    args = parser.parse_args()

    die_with_parent()

    if args.public_key:
        with open(args.public_key, "rb") as f:
            public = serialization.load_pem_public_key(f.read())
    else:
        if not args.private_key_out:
            parser.error("give --public-key, or --private-key-out for a generated key pair")
        private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        pem = private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption())
        write_private(args.private_key_out, pem)
        public = private.public_key()

    sandbox = Sandbox({args.public_key_id: public}, args.capture_delay)
    serve(ThreadingHTTPServer((args.host, args.port), make_handler(sandbox)), args.port_file)


if __name__ == "__main__":
    main()
