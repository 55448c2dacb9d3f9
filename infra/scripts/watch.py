"""Watch SmartPay's events live over the WebSocket API, without a browser:

    .venv/bin/python infra/scripts/watch.py ws://127.0.0.1:3001 "$(smartpay token --sub m_42 --role merchant)" merchant:m_42

Connects with the token, subscribes to the topics (merchant:{id} for a merchant, customer:{id} for a customer),
and prints each message on one line until interrupted or the server closes the connection."""
import json
import sys

import websocket


def main():
    if len(sys.argv) < 4:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    url, token, topics = sys.argv[1], sys.argv[2], sys.argv[3:]
    try:
        socket = websocket.create_connection(url, header=[f"Authorization: Bearer {token}"], timeout=None)
    except websocket.WebSocketBadStatusException as error:
        print(f"refused: {error.status_code} {error.resp_body.decode(errors='replace')}", file=sys.stderr)
        return 1
    socket.send(json.dumps({"action": "subscribe", "topics": topics}))
    print(f"[live] {socket.recv()}", flush=True)
    try:
        while True:
            message = socket.recv()
            if not message:
                return 0
            print(f"[live] {message}", flush=True)
    except (KeyboardInterrupt, websocket.WebSocketConnectionClosedException):
        return 0


if __name__ == "__main__":
    sys.exit(main())
