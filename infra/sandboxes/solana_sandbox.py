"""A Solana JSON-RPC node on loopback over LiteSVM, for pay's Solana pay-in and reward's mints.

LiteSVM (PyPI `solders` 0.29.0, `solders.litesvm`) is an in-process Solana VM that ships the System, SPL Token and
Associated Token programs; it executes a transaction the moment it gets one and checks signatures and blockhashes.
What a node adds around it, this server models:

- slots advance every --slot-ms (400 ms, as mainnet) and a transaction's depth grows with them: `processed` in its
  slot, `confirmed` one slot later, `finalized` 32 slots later (`confirmations` is then null, as nodes report it);
- the blockhash turns over every --blockhash-slots slots (150), after which a transaction signed with an older one
  is refused with BlockhashNotFound — a real expiry, as a node's;
- an index of signatures by account, so `getSignaturesForAddress` finds a Solana Pay transfer by its reference;
- pre/post SOL and SPL token balances in `getTransaction`'s meta, read around each execution.

Methods: getHealth, getVersion, getSlot, getBlockHeight, getLatestBlockhash, isBlockhashValid, getBalance,
getAccountInfo (base64), getMinimumBalanceForRentExemption, requestAirdrop, sendTransaction (base64 or base58;
preflight failures are -32002 as a node's), simulateTransaction, getSignatureStatuses, getSignaturesForAddress,
getTransaction (json), getTokenAccountBalance. Two test hooks outside Solana's API, prefixed `sandbox_`:
`sandbox_expireBlockhash` (turn the blockhash over now) and `sandbox_dropTransaction` (forget a signature, as a
fork that never confirmed would; LiteSVM's balances are not rolled back).

    .venv/bin/python infra/sandboxes/solana_sandbox.py --port 0 --port-file F [--slot-ms 400] [--fund-wallet F]
"""

import argparse
import base64
import json
import os
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from solders.keypair import Keypair
from solders.litesvm import LiteSVM
from solders.pubkey import Pubkey
from solders.transaction import VersionedTransaction
from solders.transaction_metadata import FailedTransactionMetadata

from loopback import serve, write_private

TOKEN_PROGRAMS = {"TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA", "TokenzQdBNbLqP5VEhdkAS6EFFZbfCsEsL9uXmTQdGT2h"}
FINALIZED_DEPTH = 32


class RpcError(Exception):
    def __init__(self, code, message, data=None):
        super().__init__(message)
        self.code, self.message, self.data = code, message, data


class Node:
    def __init__(self, blockhash_slots):
        self.svm = LiteSVM()
        self.lock = threading.RLock()
        self.slot = 1
        self.svm.warp_to_slot(self.slot)
        self.blockhash_slots = blockhash_slots
        self.blockhash_slot = self.slot
        self.transactions = {}  # signature -> record
        self.by_address = {}  # address -> [signature], oldest first
        self.started = int(time.time())

    # --- time ----------------------------------------------------------------------------------------------------
    def tick(self):
        with self.lock:
            self.slot += 1
            self.svm.warp_to_slot(self.slot)
            if self.slot - self.blockhash_slot >= self.blockhash_slots:
                self.expire_blockhash()

    def expire_blockhash(self):
        self.svm.expire_blockhash()
        self.blockhash_slot = self.slot

    def context(self, value):
        return {"context": {"slot": self.slot, "apiVersion": "2.1.0"}, "value": value}

    def depth(self, record):
        confirmations = self.slot - record["slot"]
        if confirmations >= FINALIZED_DEPTH:
            return None, "finalized"
        return confirmations, "confirmed" if confirmations >= 1 else "processed"

    @staticmethod
    def reaches(status, commitment):
        order = ["processed", "confirmed", "finalized"]
        return order.index(status) >= order.index(commitment or "finalized")

    # --- accounts ------------------------------------------------------------------------------------------------
    def token_balance(self, address, index):
        account = self.svm.get_account(address)
        if account is None or str(account.owner) not in TOKEN_PROGRAMS or len(account.data) < 165:
            return None
        data = bytes(account.data)
        mint = Pubkey.from_bytes(data[0:32])
        owner = Pubkey.from_bytes(data[32:64])
        amount = int.from_bytes(data[64:72], "little")
        mint_account = self.svm.get_account(mint)
        decimals = bytes(mint_account.data)[44] if mint_account is not None and len(mint_account.data) >= 82 else 0
        return {
            "accountIndex": index, "mint": str(mint), "owner": str(owner), "programId": str(account.owner),
            "uiTokenAmount": {"amount": str(amount), "decimals": decimals,
                              "uiAmount": amount / 10**decimals if decimals else float(amount),
                              "uiAmountString": format_units(amount, decimals)},
        }

    def snapshot(self, keys):
        balances = [self.svm.get_balance(key) or 0 for key in keys]
        tokens = [balance for balance in (self.token_balance(key, i) for i, key in enumerate(keys)) if balance]
        return balances, tokens

    # --- methods -------------------------------------------------------------------------------------------------
    def send(self, params):
        if not params or not isinstance(params[0], str):
            raise RpcError(-32602, "invalid params: expected the transaction as an encoded string")
        options = params[1] if len(params) > 1 and isinstance(params[1], dict) else {}
        encoding = options.get("encoding", "base58")
        try:
            raw = base64.b64decode(params[0], validate=True) if encoding == "base64" else b58decode(params[0])
            tx = VersionedTransaction.from_bytes(raw)
        except Exception as error:  # noqa: BLE001 - any parse failure is the caller's bad input
            raise RpcError(-32602, "invalid transaction: failed to deserialize: %s" % error)
        keys = list(tx.message.account_keys)
        with self.lock:
            signature = str(tx.signatures[0])
            if signature in self.transactions:
                return signature  # a node answers a re-sent transaction with its signature
            pre, pre_tokens = self.snapshot(keys)
            result = self.svm.send_transaction(tx)
            if isinstance(result, FailedTransactionMetadata):
                err = str(result.err())
                logs = list(result.meta().logs())
                raise RpcError(-32002, "Transaction simulation failed: " + err, {"err": err, "logs": logs})
            post, post_tokens = self.snapshot(keys)
            record = {
                "slot": self.slot, "blockTime": int(time.time()), "transaction": tx, "fee": result.fee(),
                "logs": list(result.logs()), "pre": pre, "post": post, "preTokens": pre_tokens,
                "postTokens": post_tokens,
            }
            self.transactions[signature] = record
            for key in keys:
                self.by_address.setdefault(str(key), []).append(signature)
            return signature

    def transaction_json(self, signature, record):
        tx = record["transaction"]
        message = tx.message
        header = message.header
        keys = [str(key) for key in message.account_keys]
        return {
            "slot": record["slot"], "blockTime": record["blockTime"], "version": "legacy",
            "transaction": {
                "signatures": [str(s) for s in tx.signatures],
                "message": {
                    "accountKeys": keys,
                    "header": {"numRequiredSignatures": header.num_required_signatures,
                               "numReadonlySignedAccounts": header.num_readonly_signed_accounts,
                               "numReadonlyUnsignedAccounts": header.num_readonly_unsigned_accounts},
                    "recentBlockhash": str(message.recent_blockhash),
                    "instructions": [
                        {"programIdIndex": ix.program_id_index, "accounts": list(bytes(ix.accounts)),
                         "data": b58encode(bytes(ix.data)), "stackHeight": None}
                        for ix in message.instructions],
                },
            },
            "meta": {
                "err": None, "status": {"Ok": None}, "fee": record["fee"], "preBalances": record["pre"],
                "postBalances": record["post"], "preTokenBalances": record["preTokens"],
                "postTokenBalances": record["postTokens"], "logMessages": record["logs"], "innerInstructions": [],
                "loadedAddresses": {"writable": [], "readonly": []}, "rewards": [], "computeUnitsConsumed": 0,
            },
        }

    def handle(self, method, params):
        params = params if isinstance(params, list) else []
        options = next((p for p in params if isinstance(p, dict)), {})
        with self.lock:
            if method == "getHealth":
                return "ok"
            if method == "getVersion":
                return {"solana-core": "2.1.0-litesvm", "feature-set": 0}
            if method in ("getSlot", "getBlockHeight"):
                return self.slot
            if method == "getLatestBlockhash":
                return self.context({"blockhash": str(self.svm.latest_blockhash()),
                                     "lastValidBlockHeight": self.blockhash_slot + self.blockhash_slots})
            if method == "isBlockhashValid":
                return self.context(params[0] == str(self.svm.latest_blockhash()))
            if method == "getBalance":
                return self.context(self.svm.get_balance(pubkey(params)) or 0)
            if method == "getAccountInfo":
                account = self.svm.get_account(pubkey(params))
                if account is None:
                    return self.context(None)
                return self.context({"lamports": account.lamports, "owner": str(account.owner),
                                     "data": [base64.b64encode(bytes(account.data)).decode(), "base64"],
                                     "executable": account.executable, "rentEpoch": 0, "space": len(account.data)})
            if method == "getTokenAccountBalance":
                balance = self.token_balance(pubkey(params), 0)
                if balance is None:
                    raise RpcError(-32602, "Invalid param: not a Token account")
                return self.context(balance["uiTokenAmount"])
            if method == "getMinimumBalanceForRentExemption":
                return self.svm.minimum_balance_for_rent_exemption(int(params[0]))
            if method == "requestAirdrop":
                lamports = params[1] if len(params) > 1 else None
                if not isinstance(lamports, int) or lamports <= 0:
                    raise RpcError(-32602, "invalid params: lamports must be a positive integer")
                result = self.svm.airdrop(pubkey(params), lamports)
                if isinstance(result, FailedTransactionMetadata):
                    raise RpcError(-32002, "airdrop failed: " + str(result.err()))
                return str(result.signature())
            if method == "sendTransaction":
                return self.send(params)
            if method == "getSignatureStatuses":
                if not params or not isinstance(params[0], list) or len(params[0]) > 256:
                    raise RpcError(-32602, "invalid params: expected a list of at most 256 signatures")
                statuses = []
                for signature in params[0]:
                    record = self.transactions.get(signature)
                    if record is None:
                        statuses.append(None)
                        continue
                    confirmations, status = self.depth(record)
                    statuses.append({"slot": record["slot"], "confirmations": confirmations, "err": None,
                                     "status": {"Ok": None}, "confirmationStatus": status})
                return self.context(statuses)
            if method == "getSignaturesForAddress":
                commitment = options.get("commitment", "finalized")
                if commitment == "processed":
                    raise RpcError(-32602, "Method does not support commitment below `confirmed`")
                limit = min(int(options.get("limit", 1000)), 1000)
                found = []
                for signature in reversed(self.by_address.get(str(pubkey(params)), [])):
                    record = self.transactions.get(signature)
                    if record is None:
                        continue
                    confirmations, status = self.depth(record)
                    if not self.reaches(status, commitment):
                        continue
                    found.append({"signature": signature, "slot": record["slot"], "err": None, "memo": None,
                                  "blockTime": record["blockTime"], "confirmationStatus": status})
                    if len(found) == limit:
                        break
                return found
            if method == "getTransaction":
                if not params or not isinstance(params[0], str):
                    raise RpcError(-32602, "invalid params: expected a signature")
                if options.get("encoding", "json") != "json":
                    raise RpcError(-32602, "this sandbox answers the json encoding only")
                record = self.transactions.get(params[0])
                if record is None:
                    return None
                _, status = self.depth(record)
                if not self.reaches(status, options.get("commitment", "finalized")):
                    return None
                return self.transaction_json(params[0], record)
            if method == "simulateTransaction":
                raw = base64.b64decode(params[0]) if options.get("encoding") == "base64" else b58decode(params[0])
                result = self.svm.simulate_transaction(VersionedTransaction.from_bytes(raw))
                err = str(result.err()) if isinstance(result, FailedTransactionMetadata) else None
                return self.context({"err": err, "logs": [], "accounts": None, "unitsConsumed": 0})
            if method == "sandbox_expireBlockhash":
                self.expire_blockhash()
                return str(self.svm.latest_blockhash())
            if method == "sandbox_dropTransaction":
                record = self.transactions.pop(params[0], None) if params else None
                return record is not None
            raise RpcError(-32601, "Method not found")


def pubkey(params):
    if not params or not isinstance(params[0], str):
        raise RpcError(-32602, "invalid params: expected a base58 address")
    try:
        return Pubkey.from_string(params[0])
    except ValueError:
        raise RpcError(-32602, "Invalid param: Invalid")


ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


def b58encode(data):
    number = int.from_bytes(data, "big")
    text = ""
    while number:
        number, digit = divmod(number, 58)
        text = ALPHABET[digit] + text
    return "1" * (len(data) - len(data.lstrip(b"\0"))) + text


def b58decode(text):
    number = 0
    for character in text:
        if character not in ALPHABET:
            raise ValueError("not base58")
        number = number * 58 + ALPHABET.index(character)
    body = number.to_bytes((number.bit_length() + 7) // 8, "big")
    return b"\0" * (len(text) - len(text.lstrip("1"))) + body


def format_units(amount, decimals):
    if decimals == 0:
        return str(amount)
    text = str(amount).rjust(decimals + 1, "0")
    return (text[:-decimals] + "." + text[-decimals:]).rstrip("0").rstrip(".")


def make_handler(node):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass

        def do_POST(self):
            length = int(self.headers.get("content-length") or 0)
            body = self.rfile.read(length) if 0 < length <= 1 << 20 else b""
            try:
                request = json.loads(body)
            except ValueError:
                return self.answer({"jsonrpc": "2.0", "id": None,
                                    "error": {"code": -32700, "message": "Parse error"}})
            if not isinstance(request, dict) or not isinstance(request.get("method"), str):
                return self.answer({"jsonrpc": "2.0", "id": None,
                                    "error": {"code": -32600, "message": "Invalid request"}})
            try:
                response = {"jsonrpc": "2.0", "id": request.get("id"),
                            "result": node.handle(request["method"], request.get("params"))}
            except RpcError as error:
                detail = {"code": error.code, "message": error.message}
                if error.data is not None:
                    detail["data"] = error.data
                response = {"jsonrpc": "2.0", "id": request.get("id"), "error": detail}
            self.answer(response)

        def answer(self, document):
            data = json.dumps(document).encode()
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    return Handler


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8899)
    parser.add_argument("--port-file")
    parser.add_argument("--slot-ms", type=int, default=400, help="milliseconds per slot")
    parser.add_argument("--blockhash-slots", type=int, default=150, help="slots a blockhash stays valid")
    parser.add_argument("--fund-wallet", action="append", default=[], metavar="FILE",
                        help="make a key pair, fund it with 10 SOL and write it to FILE (solana-keygen JSON, 0600)")
    args = parser.parse_args()

    parent = os.getppid()
    node = Node(args.blockhash_slots)

    def background():
        while True:
            time.sleep(args.slot_ms / 1000)
            if os.getppid() != parent:
                os._exit(0)
            node.tick()

    for path in args.fund_wallet:
        keypair = Keypair()
        node.svm.airdrop(keypair.pubkey(), 10 * 10**9)
        write_private(path, json.dumps(list(bytes(keypair))).encode())

    threading.Thread(target=background, daemon=True).start()
    serve(ThreadingHTTPServer((args.host, args.port), make_handler(node)), args.port_file)


if __name__ == "__main__":
    main()
