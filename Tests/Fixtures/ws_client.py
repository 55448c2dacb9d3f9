"""A WebSocket client independent of ours (PyPI websocket-client) driving serve's WebSocket API for
WebSocketServeTests: handshakes refused and accepted, subscriptions, a payment through POST /pay seen live by its
merchant and its customer and by nobody else, errors, the 128 KB quota, and the management API through the real
AWS CLI. Prints one JSON object of what it saw; the Swift test judges it."""
import json
import os
import struct
import subprocess
import sys
import time
import urllib.request

import websocket

args = json.loads(sys.argv[1])
ws_url, api, aws_endpoint, tokens = args["ws"], args["api"], args["aws"], args["tokens"]
out = {}


def refused(url, headers=()):
    try:
        websocket.create_connection(url, header=list(headers), timeout=10).close()
        return None
    except websocket.WebSocketBadStatusException as error:
        return [error.status_code, json.loads(error.resp_body or b"{}")]


def connect(token, in_query=False):
    if in_query:
        return websocket.create_connection(f"{ws_url}/?token={token}", timeout=10)
    return websocket.create_connection(ws_url, header=[f"Authorization: Bearer {token}"], timeout=10)


def call(socket, message):
    socket.send(message if isinstance(message, str) else json.dumps(message))
    return json.loads(socket.recv())


def close_code(socket):
    while True:
        frame = socket.recv_frame()
        if frame.opcode == websocket.ABNF.OPCODE_CLOSE:
            return struct.unpack("!H", frame.data[:2])[0] if len(frame.data) >= 2 else None


def silent(socket, seconds):
    socket.settimeout(seconds)
    try:
        return socket.recv()
    except websocket.WebSocketTimeoutException:
        return None
    finally:
        socket.settimeout(10)


def aws(*arguments):
    env = dict(os.environ, AWS_ACCESS_KEY_ID="local", AWS_SECRET_ACCESS_KEY="local", AWS_DEFAULT_REGION="us-east-1")
    result = subprocess.run(
        [args["aws_cli"], "apigatewaymanagementapi", *arguments, "--endpoint-url", aws_endpoint],
        capture_output=True, text=True, env=env, timeout=60)
    return {"status": result.returncode, "stdout": result.stdout, "stderr": result.stderr}


out["no_credential"] = refused(ws_url)
out["bad_token"] = refused(f"{ws_url}/?token=not.a.token")
out["wrong_path"] = refused(ws_url + "/elsewhere", [f"Authorization: Bearer {tokens['c_7']}"])

customer = connect(tokens["c_7"])
merchant = connect(tokens["m_42"], in_query=True)
stranger = connect(tokens["c_8"])
unsubscribed = connect(tokens["c_7"])
out["subscribe_customer"] = call(customer, {"action": "subscribe", "topics": ["customer:c_7"]})
out["subscribe_merchant"] = call(merchant, {"action": "subscribe", "topics": ["merchant:m_42"]})
out["subscribe_stranger"] = call(stranger, {"action": "subscribe", "topics": ["customer:c_8"]})
out["stranger_asks_for_c_7"] = call(stranger, {"action": "subscribe", "topics": ["customer:c_7"]})
out["merchant_asks_for_m_43"] = call(merchant, {"action": "subscribe", "topics": ["merchant:m_43"]})
out["malformed_topic"] = call(customer, {"action": "subscribe", "topics": ["everything"]})
out["unknown_action"] = call(customer, {"action": "dance"})
out["not_json"] = call(customer, "hello")
out["ping"] = call(customer, {"action": "ping"})

card = json.load(open(args["card"]))
card["idempotency_key"] = "ws-test-" + str(time.time())
request = urllib.request.Request(
    api + "/pay", data=json.dumps(card).encode(), method="POST",
    headers={"Content-Type": "application/json", "Authorization": "Bearer " + tokens["m_42_pay"]})
started = time.time()
with urllib.request.urlopen(request, timeout=60) as response:
    out["payment"] = json.loads(response.read())
out["customer_heard"] = json.loads(customer.recv())
out["heard_after_ms"] = int((time.time() - started) * 1000)
out["merchant_heard"] = json.loads(merchant.recv())
out["stranger_heard"] = silent(stranger, 2)
out["unsubscribed_heard"] = silent(unsubscribed, 0.5)

connection = out["ping"]["connection_id"]
out["cli_post"] = aws("post-to-connection", "--connection-id", connection, "--data", "hello from the AWS CLI")
out["cli_post_received"] = customer.recv()
out["cli_get"] = aws("get-connection", "--connection-id", connection)
out["cli_delete"] = aws("delete-connection", "--connection-id", connection)
out["deleted_close_code"] = close_code(customer)
out["cli_post_after_delete"] = aws("post-to-connection", "--connection-id", connection, "--data", "anyone?")
out["cli_get_unknown"] = aws("get-connection", "--connection-id", "never-connected")

merchant.send("x" * (129 * 1024))
out["oversized_close_code"] = close_code(merchant)
for socket in (stranger, unsubscribed):
    socket.close()
print(json.dumps(out))
