"""What every sandbox server here does the same way: dies with the process that started it, writes private files
with mode 0600, and reports the port it bound through a file (so callers can ask for port 0)."""

import os
import threading
import time


def die_with_parent(interval=0.25):
    """Exits when the parent goes (a runtime killed with SIGKILL must not leave its sandbox behind)."""
    parent = os.getppid()

    def watch():
        while os.getppid() == parent:
            time.sleep(interval)
        os._exit(0)

    threading.Thread(target=watch, daemon=True).start()


def write_private(path, data):
    """Writes bytes readable by this user only, atomically."""
    descriptor = os.open(path + ".tmp", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as f:
        f.write(data)
    os.replace(path + ".tmp", path)


def serve(server, port_file):
    """Announces the bound port in `port_file` (atomically, once listening) and serves until killed."""
    server.daemon_threads = True
    if port_file:
        with open(port_file + ".tmp", "w") as f:
            f.write(str(server.server_address[1]))
        os.replace(port_file + ".tmp", port_file)
    server.serve_forever()
