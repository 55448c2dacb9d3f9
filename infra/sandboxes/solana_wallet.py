"""A throwaway customer wallet for the local Solana sandbox: pays a Solana Pay transfer request.

Makes a key pair, asks the node for an airdrop, and sends a System Program transfer of the request's amount to its
recipient with the request's reference keys as read-only accounts (as the Solana Pay specification has wallets do),
built and signed with `solders` — an implementation independent of SmartPay's. Prints the signature.

    .venv/bin/python infra/sandboxes/solana_wallet.py --rpc http://127.0.0.1:PORT 'solana:…?amount=0.05&reference=…'
"""

import argparse
import base64
import json
import urllib.request
from decimal import Decimal
from urllib.parse import parse_qsl, urlsplit

from solders.hash import Hash
from solders.instruction import AccountMeta
from solders.keypair import Keypair
from solders.message import Message
from solders.pubkey import Pubkey
from solders.system_program import TransferParams, transfer
from solders.transaction import Transaction


def rpc(url, method, params):
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": params}).encode()
    request = urllib.request.Request(url, body, {"content-type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        answer = json.load(response)
    if "error" in answer:
        raise SystemExit("%s: %s" % (method, answer["error"]["message"]))
    return answer["result"]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rpc", required=True, help="the node's JSON-RPC URL (loopback)")
    parser.add_argument("url", help="the Solana Pay transfer request")
    args = parser.parse_args()

    parts = urlsplit(args.url)
    if parts.scheme != "solana":
        raise SystemExit("not a Solana Pay transfer request: " + args.url[:60])
    query = parse_qsl(parts.query)
    fields = dict(query)
    if "spl-token" in fields:
        raise SystemExit("this wallet pays SOL only")
    lamports = int(Decimal(fields["amount"]) * 10**9)
    recipient = Pubkey.from_string(parts.path)
    references = [Pubkey.from_string(value) for name, value in query if name == "reference"]

    payer = Keypair()
    rpc(args.rpc, "requestAirdrop", [str(payer.pubkey()), lamports + 10**9])
    instruction = transfer(TransferParams(from_pubkey=payer.pubkey(), to_pubkey=recipient, lamports=lamports))
    accounts = list(instruction.accounts) + [AccountMeta(key, False, False) for key in references]
    instruction = type(instruction)(instruction.program_id, instruction.data, accounts)
    blockhash = Hash.from_string(rpc(args.rpc, "getLatestBlockhash", [{"commitment": "confirmed"}])["value"]["blockhash"])
    transaction = Transaction([payer], Message([instruction], payer.pubkey()), blockhash)

    print(rpc(args.rpc, "sendTransaction", [base64.b64encode(bytes(transaction)).decode(), {"encoding": "base64"}]))


if __name__ == "__main__":
    main()
